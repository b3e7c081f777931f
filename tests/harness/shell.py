"""Shell the site shows, checked with `bash -n` and ShellCheck; every finding points at a doc line.

Where scripts come from:
  bash / sh / shell blocks  the block itself
  console blocks            the `$ ` commands with their continuation lines; other lines are output
  YAML pipelines            per job, what GitLab runs: before_script + script in one shell, after_script
                            in a separate shell (https://docs.gitlab.com/ci/yaml/#after_script)
Each line of a script remembers the doc file:line it came from (`Script.where`), so a tool's line number
maps back to where a reader fixes it. All scripts of a run go through one ShellCheck process
(`lint_all`); `bash -n` runs once per script because it stops at the first error.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from . import gitlab
from .collect import Example
from .gitlab.model import is_powershell
from .kinds import PIPELINE_LANGS, SHELL_LANGS  # re-exported: other checks use them

SHELLCHECK = Path(sys.executable).with_name("shellcheck")

FAIL_LEVELS = ("error", "warning", "info")
"""ShellCheck levels that fail a test.

error and warning mean broken or very likely wrong. info must fail too: it holds SC2086 (an unquoted
expansion, `uv publish $package`), the commonest real bug in CI scripts. style (SC2006 backticks, SC2002
useless cat, SC2129 grouped redirects) is about idiom, not behaviour; a test reports it as a pytest
warning so the author sees it, and passes.
"""

EXCLUDED = {
    "SC1091": "ShellCheck cannot read a sourced file (.venv/bin/activate); it exists only when the job runs",
}

# Top-level keys that are GitLab keywords, not jobs (`pages` is a job).
GLOBAL_KEYS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
     "before_script", "after_script", "spec", "types"}
)
SCRIPT_KEYS = ("before_script", "script", "after_script")
MAX_REFERENCE_DEPTH = 10  # GitLab allows !reference nesting up to 10 levels

# GitLab's bash shell runs job scripts with errexit and pipefail (shared/research/tooling-facts.md §3).
JOB_HEADER = ("#!/usr/bin/env bash", "set -eo pipefail")
HEADERS = {
    "bash": JOB_HEADER,
    "shell": JOB_HEADER,
    # A block labelled sh is linted as POSIX sh, which has no pipefail.
    "sh": ("#!/bin/sh", "set -e"),
    # A reader types console commands into an interactive shell: `cd dir || exit` (SC2164's advice)
    # would close their terminal, so that one check does not apply there.
    "console": ("#!/usr/bin/env bash", "# shellcheck disable=SC2164"),
}
IDENT = re.compile(r"[A-Za-z_]\w*")
INPUT_RE = re.compile(r"\$\[\[\s*inputs\.([\w-]+)[^\]]*\]\]")


@dataclass(frozen=True)
class Finding:
    """One problem, at the doc line a reader would fix."""

    where: str  # file:line
    code: str  # SC2086, bash-n, after-script, yaml, console, secret-print, ...
    message: str
    level: str = "error"  # ShellCheck's level for SC codes; "error" for the rest

    @property
    def check(self) -> str:
        return "shellcheck" if self.code.startswith("SC") else self.code

    def __str__(self) -> str:
        return f"{self.where}: {self.code} {self.message}"


@dataclass(frozen=True)
class Script:
    """A script as a shell would read it; each line knows its doc file:line (None for header lines)."""

    example_id: str  # str(example)
    name: str  # "block", "console", "<job>", "<job> after_script"
    lines: tuple[tuple[str, str | None], ...]
    fallback: str  # the fence line: where header lines and end-of-file errors are reported

    @property
    def text(self) -> str:
        return "".join(text + "\n" for text, _ in self.lines)

    @property
    def body(self) -> list[tuple[str, str]]:
        """The lines that come from the doc."""
        return [(text, where) for text, where in self.lines if where is not None]

    def where(self, lineno: int) -> str:
        """Doc file:line of line `lineno` (1-based) of `text`; past the end, the last doc line."""
        if 1 <= lineno <= len(self.lines) and self.lines[lineno - 1][1]:
            return self.lines[lineno - 1][1]
        if lineno > len(self.lines) and self.body:
            return self.body[-1][1]
        return self.fallback


def _script(example: Example, name: str, header: Iterable[str], body, known: Iterable[str] = ()) -> Script:
    """Header, then `export` of lowercase known variables (ShellCheck assumes UPPERCASE ones are set)."""
    lines = [(h, None) for h in header]
    lower = sorted({v for v in known if IDENT.fullmatch(v) and not v.isupper()})
    if lower:
        lines.append(("export " + " ".join(lower), None))
    return Script(str(example), name, tuple(lines) + tuple(body), example.where(-1))


def _marker_variables(example: Example) -> list[str]:
    return example.markers.get("variables", "").split()


# --- blocks and console -------------------------------------------------------------------------


def block_script(example: Example) -> Script | None:
    """A bash/sh/shell block; its own shebang, if it has one, replaces the header."""
    body = [(text, example.where(i)) for i, text in enumerate(example.source.splitlines())]
    if not any(text.strip() for text, _ in body):
        return None
    known = _marker_variables(example)
    if not body[0][0].startswith("#!"):
        return _script(example, "block", HEADERS.get(example.lang, JOB_HEADER), body, known)
    script = _script(example, "block", [body[0][0]], body[1:], known)
    return replace(script, lines=(body[0], *script.lines[1:]))


HEREDOC_RE = re.compile(r"(?<!<)<<(?!<)-?\s*(['\"]?)(\w+)\1")


def console_commands(example: Example) -> list[tuple[str, str]]:
    """The `$ ` lines of a console block with their continuation and here-document lines."""
    lines = example.source.splitlines()
    body: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        body.append((lines[i][2:], example.where(i)))
        command = lines[i][2:]
        while lines[i].endswith("\\") and i + 1 < len(lines):
            i += 1
            body.append((lines[i], example.where(i)))
            command += "\n" + lines[i]
        i += 1
        for m in HEREDOC_RE.finditer(command):
            while i < len(lines):
                body.append((lines[i], example.where(i)))
                i += 1
                if lines[i - 1].strip() == m[2]:
                    break
    return body


def console_script(example: Example) -> Script | None:
    body = console_commands(example)
    if not body:
        return None
    return _script(example, "console", HEADERS["console"], body, _marker_variables(example))


# --- YAML pipelines -----------------------------------------------------------------------------



def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _lookup(root: gitlab.Map, path: list) -> tuple[object, yaml.Node | None] | None:
    """The value a `!reference` path names in this file, with its node; None if it is not here."""
    value, node = root, None
    for key in path:
        if not isinstance(value, gitlab.Map) or key not in value:
            return None
        value, node = value[key], value.value_nodes[key]
    return value, node


def _items(value, node, root, depth: int = 0) -> list[tuple[str, yaml.Node]]:
    """Script items in order: nested lists flattened, same-file `!reference`s resolved."""
    if isinstance(value, gitlab.Reference):
        target = _lookup(root, list(value)) if depth < MAX_REFERENCE_DEPTH else None
        if target is None:
            path = ", ".join(map(str, value))
            return [(f"# !reference [{path}] is defined outside this example; not checked here", node)]
        return _items(*target, root, depth + 1)
    if isinstance(value, gitlab.Seq):
        return [item for v, n in zip(value, value.nodes) for item in _items(v, n, root, depth)]
    if value is None:
        return []
    return [(value if isinstance(value, str) else str(value), node)]


def _item_lines(text: str, node: yaml.Node, yaml_lines: list[str]) -> list[tuple[str, int]]:
    """Lines of one script item with the 0-based YAML line each comes from (-1: the fence line)."""
    if node is None:
        return [(p, -1) for p in text.splitlines() or [""]]
    style = getattr(node, "style", None)
    start = node.start_mark.line + (style in ("|", ">"))  # block scalars start after the indicator
    parts = text.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if style == "|":
        return [(p, start + i) for i, p in enumerate(parts)]
    if len(parts) == 1:
        return [(parts[0], start)]
    out, pos = [], start  # folded or multi-line plain/quoted: find each line's text in the source
    for p in parts:
        key = p.strip()[:30]
        for j in range(pos, min(node.end_mark.line + 1, len(yaml_lines))):
            if key and key in yaml_lines[j]:
                pos = j
                break
        out.append((p, pos))
    return out


def _map(values: dict, nodes: dict) -> gitlab.Map:
    out = gitlab.Map(values)
    out.key_nodes, out.value_nodes = {}, {k: nodes[k] for k in values if k in nodes}
    return out


def _merge(base: dict, over: dict) -> gitlab.Map:
    """GitLab's `extends` merge: mappings merge deeply, anything else is replaced. Keeps value nodes."""
    out = _map(base, getattr(base, "value_nodes", {}))
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
        if k in getattr(over, "value_nodes", {}):
            out.value_nodes[k] = over.value_nodes[k]
    return out


def _resolved(jobs: dict, name: str, seen: tuple = ()) -> gitlab.Map:
    """A job with the templates it `extends` merged in (same file only)."""
    job = jobs.get(name)
    if not isinstance(job, dict) or name in seen or len(seen) > MAX_REFERENCE_DEPTH:
        return _map({}, {})
    merged = _map({}, {})
    for parent in _as_list(job.get("extends")):
        merged = _merge(merged, _resolved(jobs, parent, (*seen, name)))
    return _merge(merged, job)


def _inherits(job: dict, what: str, key: str) -> bool:
    """`inherit: default:` / `inherit: variables:` is true, absent, or a list naming `key`."""
    inherit = job.get("inherit")
    rule = inherit.get(what, True) if isinstance(inherit, dict) else True
    return key in rule if isinstance(rule, list) else rule is not False


def _variable_names(value) -> set[str]:
    return {k for k in value if isinstance(k, str)} if isinstance(value, dict) else set()


@dataclass
class Pipeline:
    """A loaded YAML example and the jobs GitLab would run from it."""

    example: Example
    data: gitlab.Map
    jobs: dict[str, gitlab.Map]  # the jobs that run, with `extends` merged in

    @classmethod
    def load(cls, example: Example) -> Pipeline:
        data = load_jobs(example.source)  # raises gitlab.YAMLProblem
        if not isinstance(data, gitlab.Map):
            return cls(example, _map({}, {}), {})
        jobs = {k: v for k, v in data.items() if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)}
        used = {str(v[0]) for v in gitlab.walk(data) if isinstance(v, gitlab.Reference) and v}
        used |= {str(p) for v in gitlab.walk(data) if isinstance(v, dict) for p in _as_list(v.get("extends"))}
        # Hidden jobs are templates; one that nothing here uses is checked as the job a reader makes of it.
        run = [k for k in jobs if not k.startswith(".") or k not in used]
        return cls(example, data, {k: _resolved(jobs, k) for k in run})

    @functools.cached_property
    def _defaults(self) -> gitlab.Map:
        """default: merged over the old top-level form (computed once: a pipeline may have 1,000 jobs)."""
        top = {k: v for k, v in self.data.items() if k in SCRIPT_KEYS}
        top = _map(top, {k: self.data.value_nodes[k] for k in top})
        default = self.data.get("default")
        return _merge(top, default) if isinstance(default, dict) else top

    @functools.cached_property
    def yaml_lines(self) -> list[str]:
        return self.example.source.splitlines()

    def defaults(self, job: dict) -> gitlab.Map:
        """default: (or the old top-level form), as far as the job inherits it."""
        merged = self._defaults
        return _map({k: v for k, v in merged.items() if _inherits(job, "default", k)}, merged.value_nodes)

    def known_variables(self, job: dict) -> set[str]:
        top = {v for v in _variable_names(self.data.get("variables")) if _inherits(job, "variables", v)}
        return top | _variable_names(job.get("variables")) | set(_marker_variables(self.example))

    def items(self, job: gitlab.Map, key: str) -> list[tuple[str, yaml.Node]]:
        """Script items of `key` for the job: its own, else inherited from default:."""
        source = job if key in job else self.defaults(job)
        if key not in source:
            return []
        return _items(source[key], source.value_nodes.get(key), self.data)

    def lines(self, items: list[tuple[str, yaml.Node]]) -> list[tuple[str, str]]:
        """Script lines, each with the doc file:line of its YAML line."""
        out = []
        for text, node in items:
            for line, yaml_line in _item_lines(INPUT_RE.sub(_input_word, text), node, self.yaml_lines):
                out.append((line, self.example.where(yaml_line)))
        return out


def load_jobs(source: str):
    """The YAML GitLab runs: the pipeline document, after a `spec:` header if the file has one
    (comments may come first; line numbers stay those of the file)."""
    return gitlab.parse(source).data


def _input_word(m: re.Match) -> str:
    """GitLab replaces `$[[ inputs.x ]]` before any shell sees the script: lint a plain word there."""
    return "INPUT_" + m[1].upper().replace("-", "_")


def powershell_jobs(example: Example) -> list[str]:
    """Jobs of a YAML example that run in PowerShell on a Windows runner (harness/gitlab/model.py).

    Their scripts are not bash: neither bash -n nor ShellCheck reads them. PowerShell's own parser
    ships with PowerShell, which none of PyPI, npm or Debian provides; tree-sitter-powershell (PyPI,
    npm) is a community grammar, not PowerShell's parser, so its verdict would prove nothing.
    """
    try:
        data = load_jobs(example.source)
    except gitlab.YAMLProblem:
        return []
    if not isinstance(data, gitlab.Map):
        return []
    model = gitlab.Pipeline(data)
    return [name for name in model.jobs + model.hidden if is_powershell(model, name)]


def job_scripts(example: Example) -> tuple[list[Script], list[Finding]]:
    """Scripts of a YAML example's jobs, and after_script problems ShellCheck cannot see."""
    try:
        pipeline = Pipeline.load(example)
    except gitlab.YAMLProblem as exc:
        where = example.where(exc.line - 1)
        return [], [Finding(where, "yaml", f"does not load ({exc}); its job scripts are not checked")]
    powershell = set(powershell_jobs(example))
    jobs = {name: job for name, job in pipeline.jobs.items() if name not in powershell}
    if not pipeline.jobs and any(k in pipeline.data for k in ("default", *SCRIPT_KEYS)):
        jobs = {"(default)": {}}  # an excerpt showing only default: before_script / after_script
    scripts, findings = [], []
    for name, job in jobs.items():
        known = pipeline.known_variables(job)
        main = pipeline.lines(pipeline.items(job, "before_script") + pipeline.items(job, "script"))
        after = pipeline.lines(pipeline.items(job, "after_script"))
        if main:
            scripts.append(_script(example, name, JOB_HEADER, main, known))
        if after:
            scripts.append(_script(example, f"{name} after_script", JOB_HEADER, after, known))
            findings += after_script_problems(main, after, known)
    return scripts, findings


# --- commands: a small quote-aware reading of shell text ----------------------------------------

KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"}
ASSIGN_RE = re.compile(r"([A-Za-z_]\w*)\+?=")
REF_RE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?P<op>[^}]*)\}|(?P<plain>[A-Za-z_]\w*))")


@dataclass
class Command:
    """One simple command, roughly: enough to see its name, words, variables and redirections."""

    text: str  # as written (quotes kept), aligned with expanded and bare
    expanded: str  # single-quoted parts and comments blanked: where $VAR expands
    bare: str  # every quoted part blanked: where operators and redirections are
    where: str
    piped: bool = False  # its output goes into the next command
    heredoc: str = ""  # here-document body that expands variables
    classes: str = ""  # _classify's class of each character of text

    @property
    def words(self) -> list[str]:
        """Words split at unquoted blanks (quotes kept), leading keywords dropped."""
        words, word = [], ""
        for ch, c in zip(self.text, self.classes or "U" * len(self.text)):
            if ch.isspace() and c == "U":
                words, word = words + [word] if word else words, ""
            else:
                word += ch
        words += [word] if word else []
        while words and words[0] in KEYWORDS:
            words = words[1:]
        return words

    @property
    def name(self) -> str:
        """The command run: the first word after keywords and `NAME=value` prefixes."""
        return next((w for w in self.words if not ASSIGN_RE.match(w)), "")

    def refs(self) -> list[str]:
        """Variables whose value this command expands (`${#X}` and `${X:+..}` do not show X's value)."""
        names = []
        for m in REF_RE.finditer(self.expanded + "\n" + self.heredoc):
            op = m["op"] or ""
            if not op.lstrip(":").startswith("+"):
                names.append(m["braced"] or m["plain"])
        return names

    def assigned(self) -> set[str]:
        """Shell variables this command sets (a `X=1 cmd` prefix only sets X for cmd)."""
        words = self.words
        i = next((k for k, w in enumerate(words) if not ASSIGN_RE.match(w)), len(words))
        if i == len(words):
            return {ASSIGN_RE.match(w)[1] for w in words}
        name, args = words[i], words[i + 1 :]
        if name in ("export", "declare", "local", "readonly", "typeset"):
            return {m[1] for a in args if (m := re.match(r"([A-Za-z_]\w*)(?:\+?=|$)", a))}
        if name in ("for", "select") and args:
            return {args[0]} if IDENT.fullmatch(args[0]) else set()
        if name in ("read", "mapfile", "readarray"):
            return {a for a in args if IDENT.fullmatch(a)}
        return set()


def _classify(line: str) -> str:
    """One class per character: U unquoted (u inside `$(...)`), S single-quoted, D double-quoted,
    C comment, X separator."""
    out, quote, i, depth = [], None, 0, 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            out.append("S")
            quote = None if c == "'" else quote
        elif c == "\\" and i + 1 < len(line) and quote != "'":
            out.extend((quote or _u(depth)) * 2)
            i += 2
            continue
        elif quote is None and c == "'":
            quote = "'"
            out.append("S")
        elif c == '"':
            out.append("D")
            quote = None if quote == '"' else '"'
        elif c == "#" and quote is None and depth == 0 and (i == 0 or line[i - 1] in " \t;&|("):
            out.extend("C" * (len(line) - i))
            break
        elif line.startswith("$(", i):
            out.extend((quote or "u") * 2)
            depth += 1
            i += 2
            continue
        elif c == ")" and depth:
            out.append(quote or "u")
            depth -= 1
        elif quote is None and depth == 0 and c in ";&|" and not _redirection(line, i):
            out.append("X")
        else:
            out.append("D" if quote == '"' else _u(depth))
        i += 1
    return "".join(out)


def _u(depth: int) -> str:
    """Unquoted: U at the command's own level, u inside a command substitution."""
    return "U" if depth == 0 else "u"


def _redirection(line: str, i: int) -> bool:
    """`&` in `>&2`, `2>&1`, `&>file`, `|` in `>|file`: part of a redirection, not a separator."""
    return (i > 0 and line[i - 1] == ">") or (line[i] == "&" and line[i + 1 : i + 2] == ">")


def commands(body: list[tuple[str, str]]) -> list[Command]:
    """Simple commands of a script body, in order (best effort: no full shell grammar)."""
    result: list[Command] = []
    i = 0
    while i < len(body):
        text, where = body[i]
        while text.endswith("\\") and i + 1 < len(body):  # continuation lines join the command
            i += 1
            text = text[:-1] + " " + body[i][0]
        i += 1
        heredoc = ""
        classes = _classify(text)
        for m in HEREDOC_RE.finditer(text):
            if classes[m.start()] != "U":
                continue
            lines = []
            while i < len(body) and body[i][0].strip() != m[2]:
                lines.append(body[i][0])
                i += 1
            i += 1
            if not m[1]:  # a quoted delimiter stops expansion inside the here-document
                heredoc += "\n".join(lines) + "\n"
        start = 0
        for k in range(len(text) + 1):
            if k < len(text) and classes[k] != "X":
                continue
            piece = text[start:k]
            if piece.strip():
                cls = classes[start:k]
                expanded = "".join(ch if c in "UuD" else " " for ch, c in zip(piece, cls))
                bare = "".join(ch if c == "U" else " " for ch, c in zip(piece, cls))
                piped = k < len(text) and text[k] == "|" and text[k : k + 2] != "||" and text[k - 1] != "|"
                result.append(Command(piece, expanded, bare, where, piped, heredoc, cls))
                heredoc = ""
            start = k + 1
    return result


def after_script_problems(main, after, known: set[str]) -> list[Finding]:
    """Variables after_script reads that only script/before_script set.

    GitLab runs after_script in a separate shell: YAML and CI/CD variables reach it, shell variables and
    exports from script do not. A reader sees an empty value, not an error. Skipped when after_script
    sources a file (the variable may come from it).
    """
    set_in_script: dict[str, str] = {}
    for command in commands(main):
        for name in command.assigned():
            set_in_script.setdefault(name, command.where)
    after_commands = commands(after)
    if any(c.name in ("source", ".") for c in after_commands):
        return []
    own = {n for c in after_commands for n in c.assigned()}
    findings, seen = [], set()
    for command in after_commands:
        for name in command.refs():
            if name in set_in_script and name not in known | own | seen:
                seen.add(name)
                findings.append(
                    Finding(
                        command.where,
                        "after-script",
                        f"${name} is set in script ({set_in_script[name]}), but after_script runs in a "
                        "separate shell where it is empty; define it under variables: or recompute it",
                    )
                )
    return findings


# --- extraction per example ---------------------------------------------------------------------


def extract(example: Example) -> tuple[list[Script], list[Finding]]:
    """The scripts an example holds, and problems found while extracting them."""
    if example.lang in PIPELINE_LANGS:
        return job_scripts(example)
    if example.lang == "console":
        script = console_script(example)
        if script is None and "output" not in example.markers:
            return [], [Finding(example.where(-1), "console", "no `$ ` command: show output as `text`")]
        return [script] if script else [], []
    if example.lang in SHELL_LANGS:
        script = block_script(example)
        return [script] if script else [], []
    return [], []


# --- the tools ----------------------------------------------------------------------------------

_TOOL_ENV = {"PATH": os.defpath, "LC_ALL": "C.UTF-8"}
BASH_N_RE = re.compile(r"^[^:]*: line (\d+): (.*)$")


def _run(argv: list[str], workdir: Path) -> subprocess.CompletedProcess:
    """Run a checking tool (it reads scripts, never runs them) with a bare environment."""
    return subprocess.run(argv, check=False, cwd=workdir, env=_TOOL_ENV, capture_output=True, text=True)


def bash_n(script: Script, workdir: Path, seen: dict | None = None) -> list[Finding]:
    """`bash -n` (parse, run nothing); bash reports only the first syntax error.

    `seen` maps script texts already parsed to bash's answer: jobs built from one template share
    their text, and a pipeline of 1,000 jobs should not start 1,000 shells for a few distinct scripts.
    """
    seen = {} if seen is None else seen
    if script.text not in seen:
        path = workdir / "bash-n.sh"
        path.write_text(script.text)
        proc = _run(["bash", "-n", path.name], workdir)
        seen[script.text] = (proc.returncode, proc.stderr)
    returncode, stderr = seen[script.text]
    if returncode == 0:
        return []
    for line in stderr.splitlines():
        if m := BASH_N_RE.match(line):
            return [Finding(script.where(int(m[1])), "bash-n", m[2])]
    return [Finding(script.fallback, "bash-n", " ".join(stderr.split()) or f"exit {returncode}")]


def _shellcheck_args() -> list[str]:
    return [str(SHELLCHECK), "-f", "json1", "--exclude", ",".join(EXCLUDED)]


def shellcheck(scripts: list[Script], workdir: Path, *, one_process: bool = True) -> list[list[Finding]]:
    """ShellCheck findings per script. The dialect comes from each script's shebang (bash or sh).

    Scripts with the same text (jobs from one template) are written and read once.
    """
    users: dict[str, list[int]] = {}  # file name -> indexes of the scripts with that text
    files: dict[str, str] = {}  # text -> file name
    for i, script in enumerate(scripts):
        if script.text not in files:
            files[script.text] = f"{len(files):04d}.sh"
            (workdir / files[script.text]).write_text(script.text)
        users.setdefault(files[script.text], []).append(i)
    result: list[list[Finding]] = [[] for _ in scripts]
    names = list(users)
    batches = [names] if one_process else [[n] for n in names]
    for batch in batches:
        if not batch:
            continue
        try:
            proc = _run(_shellcheck_args() + batch, workdir)
            comments = json.loads(proc.stdout)["comments"]
        except (OSError, ValueError, KeyError) as exc:
            problem = " ".join(str(getattr(exc, "strerror", "") or exc).split())
            for name in batch:
                for i in users[name]:
                    result[i].append(Finding(scripts[i].fallback, "shellcheck", f"did not run: {problem}"))
            continue
        for c in comments:
            for i in users[c["file"]]:
                script = scripts[i]
                result[i].append(Finding(script.where(c["line"]), f"SC{c['code']}", c["message"], c["level"]))
    return result


def _line_key(finding: Finding) -> tuple:
    file, _, line = finding.where.rpartition(":")
    return (file, int(line) if line.isdigit() else 0, finding.code, finding.message)


def lint_all(examples: Iterable[Example], *, one_process: bool = True) -> dict[str, list[Finding]]:
    """Findings per example id: extraction, bash -n per script, and ShellCheck in one process for all.

    A line a template shares between jobs is reported once. `one_process=False` runs ShellCheck once per
    script instead (for comparison only).
    """
    results: dict[str, list[Finding]] = {}
    scripts: list[Script] = []
    for example in examples:
        found, problems = extract(example)
        results.setdefault(str(example), []).extend(problems)
        scripts.extend(found)
    with tempfile.TemporaryDirectory(prefix="shellcheck-") as tmp, ThreadPoolExecutor(1) as pool:
        workdir, seen = Path(tmp), {}
        # ShellCheck works in its own process while bash -n parses script after script here.
        linted = pool.submit(shellcheck, scripts, workdir, one_process=one_process)
        for script in scripts:
            results[script.example_id].extend(bash_n(script, workdir, seen))
        for script, found in zip(scripts, linted.result()):
            results[script.example_id].extend(found)
    return {k: sorted(set(v), key=_line_key) for k, v in results.items()}


def failures(findings: Iterable[Finding]) -> list[Finding]:
    """Findings that fail a test: all but ShellCheck's style level (see FAIL_LEVELS)."""
    return [f for f in findings if not f.code.startswith("SC") or f.level in FAIL_LEVELS]


def site_examples() -> list[Example]:
    from .collect import examples

    return [e for e in examples() if e.lang in SHELL_LANGS + PIPELINE_LANGS]


@functools.cache
def site_findings() -> dict[str, list[Finding]]:
    """lint_all over every shell block, console block and pipeline of the site, once per process."""
    return lint_all(site_examples())

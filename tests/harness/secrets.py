"""No example leaks a credential: into the job log, into a URL, or as a literal value.

Rules (each finding reads `file:line: <rule> message`):
  secret-print    echo / printf / cat of a secret variable whose output reaches the log
                  (piping it into a command, or redirecting it to a file, is fine: `--password-stdin`, .netrc)
  secret-dump     env, printenv, set, export -p, declare -p without names: they print every variable,
                  piped through grep or not
  secret-url      `user:password@` in a URL; the one exception is GitLab's documented job-token URL for git:
                  `git ... https://gitlab-ci-token:${CI_JOB_TOKEN}@${CI_SERVER_HOST}/...`, as a git
                  argument or as git configuration in GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>
  secret-trace    `set -x` (or `bash -x`) while a command expands a secret; CI_DEBUG_TRACE turned on
  secret-literal  a secret variable set to a literal value, or a token in a known GitLab/PyPI format
A secret variable is CI_JOB_TOKEN or any name ending in _PASSWORD, _TOKEN, or holding _SECRET.
Shell blocks, console commands and job scripts are read as commands (harness.shell.commands); in YAML,
every value outside the script keywords is read too (variables:, image:, include:, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import gitlab
from .collect import Example
from .shell import (
    PIPELINE_LANGS,
    SCRIPT_KEYS,
    SHELL_LANGS,
    Command,
    Finding,
    commands,
    extract,
    failures,
    load_jobs,
)

LANGUAGES = SHELL_LANGS + PIPELINE_LANGS

SECRET_NAME = re.compile(r"(?:^|_)(?:PASSWORD|PASSWD|TOKEN)$|(?:^|_)SECRET", re.IGNORECASE)
URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.-]*://(?P<user>[^\s/@:'\"]+):(?P<password>[^\s/@'\"]+)@", re.IGNORECASE
)
GIT_CONFIG = re.compile(r"GIT_CONFIG_(?:KEY|VALUE)_\d+")
JOB_TOKEN_PASSWORDS = {"${CI_JOB_TOKEN}", "$CI_JOB_TOKEN"}
# Token formats GitLab and PyPI document (personal/project/group access, deploy, job, PyPI API tokens).
TOKEN_FORMATS = re.compile(r"\b(?:glpat-|gldt-|glcbt-|glptt-)[\w-]{16,}|\bpypi-[\w-]{40,}")
CREDENTIAL_FILES = re.compile(r"(?:^|/)(?:\.netrc|\.pypirc|\.git-credentials)$")
DUMP_COMMANDS = {"env", "printenv", "set", "export", "declare", "typeset"}
SHELLS = {"bash", "sh", "dash", "zsh"}
ASSIGNING = {"export", "declare", "readonly", "local", "typeset"}


def is_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def _secrets(command: Command) -> list[str]:
    return [name for name in command.refs() if is_secret(name)]


def _redirects_stdout(command: Command) -> bool:
    """`> file`, `>> file`, `1> file`, `&> file`; not `>&2` or `> /dev/stdout`."""
    for m in re.finditer(r"(?<![<>&\d])(?:1|&)?>>?(?![&>])", command.bare):
        target = command.text[m.end() :].split() or [""]
        if target[0] not in ("/dev/stdout", "/dev/stderr", "/dev/tty", ""):
            return True
    return False


def _shows_output(command: Command, following: Command | None) -> bool:
    """Output reaches the log: not redirected to a file, not piped (except into tee or cat)."""
    if _redirects_stdout(command):
        return False
    return not command.piped or (following is not None and following.name in ("tee", "cat"))


def _options_only(args: list[str]) -> bool:
    return all(a.startswith("-") or re.match(r"\w+=", a) for a in args)


def _dumps(command: Command) -> bool:
    name, args = command.name, _args(command)
    if name == "env":
        return _options_only(args)
    if name == "printenv":
        return not args or any(is_secret(a) for a in args)
    if name == "set":
        return not args
    if name in ("export", "declare", "typeset"):
        return bool(args) and all(re.fullmatch(r"-[a-z]*[px][a-z]*", a) for a in args)
    return False


def _url_problems(text: str, where: str, git: bool) -> list[Finding]:
    found = []
    for m in URL_CREDENTIALS.finditer(text):
        if git and m["user"] == "gitlab-ci-token" and m["password"] in JOB_TOKEN_PASSWORDS:
            continue
        found.append(
            Finding(
                where,
                "secret-url",
                f"credentials in a URL ({m['user']}:...@): pass them as "
                "UV_INDEX_<NAME>_USERNAME/_PASSWORD or UV_PUBLISH_USERNAME/_PASSWORD variables",
            )
        )
    return found


def _literal_problems(name: str, value: str, where: str) -> list[Finding]:
    value = value.strip().strip("'\"")
    if is_secret(name) and value and "$" not in value:
        message = f"{name} is set to a literal value: use a masked CI/CD variable"
        return [Finding(where, "secret-literal", message)]
    return []


def _is_xtrace(command: Command) -> bool | None:
    """True for `set -x` / `set -o xtrace`, False for `set +x` / `set +o xtrace`, None otherwise."""
    if command.name != "set":
        return None
    words = _args(command)
    for i, w in enumerate(words):
        follows = words[i + 1] if i + 1 < len(words) else ""
        if re.fullmatch(r"-[a-zA-Z]*x[a-zA-Z]*", w) or (w == "-o" and follows == "xtrace"):
            return True
        if re.fullmatch(r"\+[a-zA-Z]*x[a-zA-Z]*", w) or (w == "+o" and follows == "xtrace"):
            return False
    return None


def _args(command: Command) -> list[str]:
    words = command.words
    return words[words.index(command.name) + 1 :] if command.name else []


def _assignments(command: Command) -> list[tuple[str, str]]:
    """`NAME=value` words: before the command name, or arguments of export/declare/readonly/local."""
    words = command.words
    i = words.index(command.name) if command.name else len(words)
    candidates = words[:i] + (words[i + 1 :] if command.name in ASSIGNING else [])
    return [(m[1], m[2]) for w in candidates if (m := re.match(r"([A-Za-z_]\w*)=(.*)$", w))]


def script_problems(body: list[tuple[str, str]]) -> list[Finding]:
    """The rules on one script body (one shell), in command order."""
    found: list[Finding] = []
    cmds = commands(body)
    tracing: str | None = None  # where set -x was turned on
    if body and body[0][0].startswith("#!") and re.search(r"\s-\w*x", body[0][0]):
        tracing = body[0][1]
    for i, cmd in enumerate(cmds):
        following = cmds[i + 1] if i + 1 < len(cmds) else None
        secrets = _secrets(cmd)
        name = cmd.name
        if name in ("echo", "printf", "cat") and _shows_output(cmd, following):
            files = [a for a in _args(cmd) if CREDENTIAL_FILES.search(a)] if name == "cat" else []
            shown = secrets or files
            if shown:
                what = ", ".join(f"${s}" if s in secrets else s for s in dict.fromkeys(shown))
                found.append(
                    Finding(cmd.where, "secret-print", f"`{name}` writes {what} to the job log")
                )
        if name in DUMP_COMMANDS and _dumps(cmd):
            message = f"`{cmd.text.strip()}` prints every variable to the job log"
            found.append(Finding(cmd.where, "secret-dump", message))
        found += _url_problems(cmd.text, cmd.where, git=name == "git")
        for variable, value in _assignments(cmd):
            found += _literal_problems(variable, value, cmd.where)
        xtrace = _is_xtrace(cmd)
        if xtrace is not None:
            tracing = cmd.where if xtrace else None
        elif name in SHELLS and secrets and any(re.fullmatch(r"-\w*x\w*", w) for w in _args(cmd)[:2]):
            message = f"`{name} -x` prints ${secrets[0]} to the job log"
            found.append(Finding(cmd.where, "secret-trace", message))
        elif tracing and secrets:
            found.append(
                Finding(tracing, "secret-trace", f"set -x prints ${secrets[0]} when {cmd.where} runs")
            )
            tracing = None  # one finding per set -x
    return found


def _strings(value, node, path: tuple) -> Iterator[tuple[str, object, tuple]]:
    """Every string in the YAML outside the script keywords, with its node and key path."""
    if isinstance(value, gitlab.Map):
        for k, v in value.items():
            if k not in SCRIPT_KEYS:
                yield from _strings(v, value.value_nodes[k], (*path, k))
    elif isinstance(value, gitlab.Seq):
        for v, n in zip(value, value.nodes):
            yield from _strings(v, n, path)
    elif isinstance(value, str):
        yield value, node, path


def _variable(path: tuple) -> str | None:
    """The variable a YAML value sets: `variables: {NAME: value}` or `{NAME: {value: ...}}`."""
    if len(path) >= 2 and path[-2] == "variables":
        return str(path[-1])
    if len(path) >= 3 and path[-3] == "variables" and path[-1] == "value":
        return str(path[-2])
    return None


def yaml_problems(example: Example) -> list[Finding]:
    """URLs with credentials, literal secrets and CI_DEBUG_TRACE in the YAML outside scripts."""
    try:
        data = load_jobs(example.source)
    except gitlab.YAMLProblem:
        return []  # extract() reports it
    found = []
    for text, node, path in _strings(data, None, ()):
        where = example.where(gitlab.line_of(node) - 1) if node is not None else example.where(-1)
        variable = _variable(path)
        # GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> are git configuration (git-config(1), ENVIRONMENT).
        found += _url_problems(text, where, git=bool(variable and GIT_CONFIG.fullmatch(variable)))
        if variable is not None:
            found += _literal_problems(variable, text, where)
            if variable in ("CI_DEBUG_TRACE", "CI_DEBUG_SERVICES") and text.strip().lower() == "true":
                found.append(
                    Finding(where, "secret-trace", f"{variable} writes every variable's value to the job log")
                )
    return found


def check(example: Example) -> list[Finding]:
    """Every secrets finding of one example, with extraction problems (then it is not fully checked)."""
    scripts, problems = extract(example)
    found = [p for p in problems if p.code == "yaml"]
    for script in scripts:
        found += script_problems(script.body)
    if example.lang in PIPELINE_LANGS:
        found += yaml_problems(example)
    lines = example.source.splitlines()
    for i, line in enumerate(lines):
        if m := TOKEN_FORMATS.search(line):
            found.append(Finding(example.where(i), "secret-literal", f"a real-looking token ({m[0][:8]}...)"))
    return sorted(set(found), key=lambda f: (f.where.rpartition(":")[0], _num(f.where), f.code))


def _num(where: str) -> int:
    tail = where.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def rejections(example: Example, shell_findings: list[Finding]) -> list[Finding]:
    """What rejects a block marked `unsafe`: its secrets findings and its failing shell findings."""
    found = set(check(example)) | set(failures(shell_findings))
    return sorted(found, key=lambda f: (f.where.rpartition(":")[0], _num(f.where), f.code))

"""The pipeline GitLab builds from a loaded file: jobs, templates, `extends`, `default:`, `!reference`.

`Pipeline` answers questions about one document (a whole file or an excerpt) with its local includes
merged in; `schema_view` gives the document as GitLab validates it: `!reference` tags replaced by
what they point at, command lists flattened, a `key: null` that drops an inherited key left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from .loader import Finding, Map, Reference, Seq, file_of, line_of, text_of

# Top-level keys that are keywords, not jobs (https://docs.gitlab.com/ci/yaml/#global-keywords).
GLOBAL_KEYWORDS = frozenset(
    "default include stages variables workflow image services cache before_script after_script spec".split()  # noqa: SIM905
)
# Stages a pipeline has when it declares none; .pre and .post exist in every pipeline.
DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
# Job keywords `default:` passes to every job unless the job sets them or opts out (`inherit:`).
DEFAULT_KEYWORDS = frozenset(
    """
    after_script artifacts before_script cache hooks id_tokens image interruptible retry services tags timeout
    """.split()  # noqa: SIM905
)
# Deprecated top-level forms of job keywords, still inherited by every job.
TOP_LEVEL_JOB_KEYWORDS = frozenset({"image", "services", "cache", "before_script", "after_script"})
# Lists GitLab flattens (nested arrays up to 10 levels): its `Commands` entry (script, before_script,
# after_script, hooks:pre_get_sources_script, services:command; gitlab-org/gitlab!74792) and
# `stages` (gitlab-org/gitlab!142916), and `rules` reused with !reference
# (https://docs.gitlab.com/ci/jobs/job_rules/#reuse-rules-in-different-jobs).
FLATTENED_KEYS = frozenset(
    {"script", "before_script", "after_script", "pre_get_sources_script", "command", "stages", "rules"}
)
MAX_NESTING = 10  # !reference nesting and flattened list depth (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags)
MAX_EXTENDS = 11  # https://docs.gitlab.com/ci/yaml/#extends: up to 11 levels of inheritance
MAX_MATRIX = 200  # https://docs.gitlab.com/ci/yaml/#parallelmatrix: at most 200 jobs from one matrix

# $VAR / ${VAR...}: `$$` is GitLab's escape for a literal `$`, `\$` the shell's.
VAR_RE = re.compile(r"(?<![$\\])\$(?:\{([A-Za-z_]\w*)([^}]*)\}|([A-Za-z_]\w*))")


def as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def flatten(value, depth: int = 0) -> Iterator:
    for item in as_list(value):
        if isinstance(item, list) and not isinstance(item, Reference) and depth < MAX_NESTING:
            yield from flatten(item, depth + 1)
        else:
            yield item


def walk(value) -> Iterator:
    """`value` and every mapping value and sequence item below it, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def expand(text: str, values: dict[str, object], depth: int = 5) -> str:
    """$VAR and ${VAR} replaced by `values`, as GitLab expands variables; unknown names stay."""
    for _ in range(depth):
        new = VAR_RE.sub(
            lambda m: text_of(values[m[1] or m[3]]) if (m[1] or m[3]) in values and not m[2] else m[0], text
        )
        if new == text or len(new) > 10_000:
            break
        text = new
    return text


class Pipeline:
    """Jobs, templates and inheritance of one loaded document (a whole file or an excerpt).

    `remote` lists includes that could not be read here, (kind, location): jobs may come from them,
    so a job that only partly defines itself is not held to the no-script and stage rules.
    """

    def __init__(self, data: Map, fragment: bool = False, remote=()):
        self.data = data
        self.fragment = fragment
        if "include" in data and not remote and not isinstance(data.get("include"), (str, dict, list)):
            remote = [("unknown", str(data.get("include")))]
        self.remote = list(remote)
        self.open = fragment or bool(self.remote)  # parts of the pipeline may be elsewhere
        self.jobs = [
            k
            for k, v in data.items()
            if isinstance(k, str)
            and k not in GLOBAL_KEYWORDS
            and not k.startswith(".")
            and isinstance(v, dict)
        ]
        self.hidden = [
            k for k, v in data.items() if isinstance(k, str) and k.startswith(".") and isinstance(v, dict)
        ]
        self._chains: dict[str, list[Map]] = {}
        self.extended = {t for name in self.jobs + self.hidden for t in self.extends(name) if t in data}

    def extends(self, name) -> list[str]:
        job = self.data.get(name)
        return [t for t in as_list(job.get("extends")) if isinstance(t, str)] if isinstance(job, dict) else []

    def chain(self, name) -> list[Map]:
        """The mappings a job is built from, strongest first: itself, then its extends (last wins)."""
        if name not in self._chains:
            self._chains[name] = self._chain(name, ())
        return self._chains[name]

    def _chain(self, name, seen) -> list[Map]:
        job = self.data.get(name)
        if not isinstance(job, dict) or name in seen or len(seen) > MAX_EXTENDS:
            return []
        result = [job]
        for parent in reversed(self.extends(name)):
            for mapping in self._chain(parent, (*seen, name)):
                if all(mapping is not m for m in result):
                    result.append(mapping)
        return result

    def defined(self, name, key) -> tuple[object, Map | None]:
        """(value, mapping that sets it) of job keyword `key`, following extends, default, top level."""
        for mapping in self.chain(name):
            if key in mapping and not (mapping[key] is None and self.unsets(name, key)):
                return mapping[key], mapping
        inherit = next((m["inherit"] for m in self.chain(name) if isinstance(m.get("inherit"), dict)), {})
        use_default = inherit.get("default", True)
        default = self.data.get("default")
        if (
            key in DEFAULT_KEYWORDS
            and isinstance(default, dict)
            and key in default
            and (use_default is True or (isinstance(use_default, list) and key in use_default))
        ):
            return default[key], default
        if key in TOP_LEVEL_JOB_KEYWORDS and key in self.data:
            return self.data[key], self.data
        return None, None

    def inherited(self, name, key) -> bool:
        """Whether job `name` would get `key` from a template it extends, `default:` or the top level."""
        if any(key in m and m[key] is not None for m in self.chain(name)[1:]):
            return True
        default = self.data.get("default")
        return (key in DEFAULT_KEYWORDS and isinstance(default, dict) and key in default) or (
            key in TOP_LEVEL_JOB_KEYWORDS and key in self.data
        )

    def unsets(self, name, key) -> bool:
        """`key: null` in job `name` drops an inherited value
        (https://docs.gitlab.com/ci/yaml/yaml_optimization/#exclude-a-key-from-extends)."""
        job = self.data.get(name)
        return isinstance(job, dict) and key in job and job[key] is None and self.inherited(name, key)

    def variables(self, name=None) -> dict[str, object]:
        """Variables a job sees from YAML: top level, then its extends chain, then its own."""
        result = {}
        maps = [self.data] + (list(reversed(self.chain(name))) if name else [])
        for mapping in maps:
            if isinstance(mapping.get("variables"), dict):
                for key, value in mapping["variables"].items():
                    result[key] = value.get("value", "") if isinstance(value, dict) else value
        return result

    def matrix(self, name) -> list[dict[str, str]]:
        """Every parallel:matrix combination of a job ([{}] without a matrix)."""
        parallel, _ = self.defined(name, "parallel")
        rows = parallel.get("matrix") if isinstance(parallel, dict) else None
        if not isinstance(rows, list):
            return [{}]
        combos = []
        for row in rows:
            if isinstance(row, dict):
                keys = list(row)
                values = [[text_of(v) for v in as_list(row[k])] for k in keys]
                combos += [
                    dict(zip(keys, c)) for c in itertools.islice(itertools.product(*values), MAX_MATRIX)
                ]
        return combos[:MAX_MATRIX] or [{}]

    def stage(self, name) -> str:
        value, _ = self.defined(name, "stage")
        return value if isinstance(value, str) else "test"

    def stages(self) -> list[str] | None:
        declared = self.data.get("stages")
        if not isinstance(declared, list):
            return None
        names = [s for s in flatten(self.resolve(declared)) if isinstance(s, str)]
        return [".pre", *[s for s in names if s not in (".pre", ".post")], ".post"]

    def lookup(self, path) -> tuple[object, yaml.Node | None, bool]:
        """(value, node, found) at a !reference path."""
        value, node = self.data, None
        for step in path:
            if not isinstance(value, Map) or step not in value:
                return None, None, False
            value, node = value[step], value.value_nodes[step]
        return value, node, True

    def resolve(self, value, depth: int = 0):
        """`value` with a top-level `!reference` (and references in a list) replaced by their targets."""
        if isinstance(value, Reference):
            target, _, ok = self.lookup(value)
            return self.resolve(target, depth + 1) if ok and depth < MAX_NESTING else None
        if isinstance(value, list):
            return [self.resolve(v, depth) for v in value]
        return value

    def contexts(self) -> list[str]:
        """Names to check as a job would run: every job, and templates no job in the block extends."""
        return self.jobs + [t for t in self.hidden if t not in self.extended]


MISSING = object()


def schema_view(p: Pipeline) -> Map:
    """The document as GitLab validates it.

    `!reference` tags are replaced by their targets (up to 10 levels; one pointing nowhere is left
    out: the semantic check reports it), lists GitLab flattens are flattened, keys are text (an
    integer variable name is valid YAML and valid to GitLab), and a job's `key: null` that drops an
    inherited value is left out. Nodes are kept, so findings keep their lines.
    """

    def view(value, depth: int, key=None):
        if isinstance(value, Reference):
            target, node, ok = (
                p.lookup(value) if all(isinstance(s, str) for s in value) else (None, None, False)
            )
            if not ok or depth >= MAX_NESTING:
                return MISSING, None
            return view(target, depth + 1, key)[0], node
        if isinstance(value, Map):
            out = Map()
            for k, v in value.items():
                item, _ = view(v, depth, k)
                if item is MISSING:
                    continue
                name = k if isinstance(k, str) else text_of(k)
                out[name] = item
                out.key_nodes[name], out.value_nodes[name] = value.key_nodes[k], value.value_nodes[k]
            return out, None
        if isinstance(value, Seq):
            out = Seq()
            for v, n in zip(value, value.nodes):
                item, _ = view(v, depth, key)
                if item is MISSING:
                    continue
                if key in FLATTENED_KEYS and isinstance(item, Seq):
                    for leaf, leaf_node in _leaves(item, n):
                        out.append(leaf)
                        out.nodes.append(leaf_node)
                else:
                    out.append(item)
                    out.nodes.append(n)
            return out, None
        return value, None

    data, _ = view(p.data, 0)
    for name in p.jobs + p.hidden:
        job = data.get(name)
        if isinstance(job, Map):
            for key in [k for k in job if p.unsets(name, k)]:
                del job[key]
    return data


def _leaves(seq: Seq, node, depth: int = 0) -> Iterator[tuple[object, object]]:
    for item, child in zip(seq, seq.nodes):
        if isinstance(item, Seq) and depth < MAX_NESTING:
            yield from _leaves(item, child, depth + 1)
        else:
            yield item, child


@dataclass(frozen=True)
class Rules:
    """Which strictness applies: the guide's own examples, or a reader's own file.

    The guide pins the uv it tests and declares every variable it uses; a reader may pin any uv
    that was published, and may set variables in places a file does not show (project settings,
    dotenv artifacts, triggers, schedules), so those are notes there.
    """

    reader: bool = False
    project: Path | None = None  # the project directory: files named in cache:key:files live there
    declared: tuple[str, ...] = ()  # CI/CD variables set outside the file

    def level(self, guide: str, reader: str) -> str:
        return reader if self.reader else guide


GUIDE = Rules()  # the guide's own examples: the default strictness


def at(node, message: str, level: str = "error") -> Finding:
    """A finding at a node's line and file (line 1 of the checked text without a node)."""
    return Finding(line_of(node) if node is not None else 1, message, file_of(node), level)


# Windows runners run job scripts in PowerShell (https://docs.gitlab.com/runner/shells/#powershell);
# the runner's configuration chooses the shell, so a file shows it only through hints: a Windows
# runner tag, a Windows image, or script lines that are PowerShell and not POSIX shell.
WINDOWS_TAG = re.compile(r"windows", re.IGNORECASE)
WINDOWS_IMAGE = re.compile(r"^mcr\.microsoft\.com/(?:windows|powershell|dotnet/framework)", re.IGNORECASE)
POWERSHELL_LINE = re.compile(
    r"\$env:\w+|^\s*\$\w+\s*=|\b(?:Get|Set|New|Remove|Write|Invoke|Add|Test|Copy|Move|Out|Select|Where|"
    r"ForEach|Import|Export|Start|Stop|Expand|Join|Split|Resolve)-[A-Z][A-Za-z]+\b",
)


def is_powershell(p: Pipeline, name) -> bool:
    """Whether job `name` runs on a Windows runner's PowerShell."""
    if name is None:
        return False
    tags, _ = p.defined(name, "tags")
    if any(isinstance(t, str) and WINDOWS_TAG.search(t) for t in flatten(p.resolve(tags))):
        return True
    image, _ = p.defined(name, "image")
    image = image.get("name") if isinstance(image, dict) else image
    if isinstance(image, str) and WINDOWS_IMAGE.match(image):
        return True
    lines = [
        t
        for key in ("before_script", "script")
        for t in flatten(p.resolve(p.defined(name, key)[0]))
        if isinstance(t, str)
    ]
    return bool(lines) and any(POWERSHELL_LINE.search(line) for line in lines)

"""GitLab-aware YAML: read a CI file the way GitLab reads it, keeping the line of every value.

- `!reference [job, key, ...]` is GitLab's one custom tag (sequence form only)
  (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags); any other tag is an error.
- A duplicate key is not an error to GitLab's YAML parser: the last value wins. It is still a trap
  for a reader (the first value is silently dropped), so it is a finding, and loading goes on.
- A file may start with a `spec:` header document, then `---`, then the pipeline
  (https://docs.gitlab.com/ci/inputs/#define-input-parameters-with-specinputs); GitLab reads at
  most these two documents.
- Aliases may not expand past GitLab's limits on the parsed size and depth of a configuration
  ("The parsed YAML is too big",
  https://docs.gitlab.com/administration/instance_limits/#maximum-size-and-depth-of-cicd-configuration-yaml-files):
  an alias bomb or a recursive anchor ends as one finding, never as a hang.
- `include: local:` files are read from a project root and merged under the including file
  (https://docs.gitlab.com/ci/yaml/includes/#merge-method-for-include), with
  `$[[ inputs.name ]]` interpolated from the include's `inputs:` or the file's `spec:` defaults
  (https://docs.gitlab.com/ci/inputs/).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# GitLab's defaults: 2 MB for the parsed configuration, nesting depth 150 (instance limits page
# above; raised from 1 MB / 100 in gitlab-org/gitlab#473777). The parsed size is memory, which
# Python cannot measure as Ruby does; a node count stands in for it: a pipeline of 1,000 lines
# has about 3,000 nodes, GitLab's own alias-bomb test (nine levels of nine aliases) 387 million.
MAX_NODES = 200_000
MAX_DEPTH = 150
MAX_BYTES = 2 * 1024 * 1024  # "The provided YAML is too big" before parsing
MAX_INCLUDES = 150  # https://docs.gitlab.com/ci/yaml/includes/ ("up to 150 includes")


class Finding(NamedTuple):
    """One problem: 1-based line in `file` ("" = the text being checked), a sentence, a level."""

    line: int
    message: str
    file: str = ""
    level: str = "error"  # "error" fails; "note" informs


class Map(dict):
    """A mapping that remembers the YAML nodes of its keys and values."""

    key_nodes: dict
    value_nodes: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_nodes, self.value_nodes = {}, {}


class Seq(list):
    """A sequence that remembers the YAML node of each item."""

    nodes: list

    def __init__(self, *args):
        super().__init__(*args)
        self.nodes = []


class Reference(Seq):
    """`!reference [.template, script]`: the path of the referenced value."""


class GitLabLoader(_Base):
    duplicates: list


def _mapping(loader: GitLabLoader, node: yaml.MappingNode) -> Map:
    # Keys written in this mapping; those a `<<:` merge brings in may be overridden (that is what
    # merge keys are for), only a key written twice here is a duplicate.
    written = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    result = Map()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a plain value, not a {key_node.id}", key_node.start_mark
            ) from None
        if key in result.key_nodes and id(result.key_nodes[key]) in written and id(key_node) in written:
            first = result.key_nodes[key].start_mark.line + 1
            loader.duplicates.append((key_node, key, first))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_nodes[key], result.value_nodes[key] = key_node, value_node
    return result


def _sequence(loader: GitLabLoader, node: yaml.SequenceNode, cls: type[Seq] = Seq) -> Seq:
    result = cls(loader.construct_object(child, deep=True) for child in node.value)
    result.nodes = list(node.value)
    return result


def _reference(loader: GitLabLoader, node: yaml.Node) -> Reference:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"!reference takes a sequence such as [.job, script], got {node.id}", node.start_mark
        )
    return _sequence(loader, node, Reference)


def _unknown_tag(loader: GitLabLoader, suffix: str, node: yaml.Node):
    raise yaml.constructor.ConstructorError(
        None, None, f"unknown tag !{suffix}: GitLab knows only !reference", node.start_mark
    )


GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
GitLabLoader.add_constructor("!reference", _reference)
GitLabLoader.add_multi_constructor("!", _unknown_tag)


class YAMLProblem(Exception):
    """YAML GitLab would refuse; `line` is 1-based within the loaded text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def line_of(node: yaml.Node) -> int:
    """1-based line of a node within the text it was read from."""
    return node.start_mark.line + 1


def file_of(node: yaml.Node | None) -> str:
    """The file a node was read from: "" for the text being checked, else the included path."""
    name = getattr(getattr(node, "start_mark", None), "name", "")
    return "" if name.startswith("<") else name


def _check_size(root: yaml.Node) -> None:
    """Raise YAMLProblem when aliases make the document recursive, too big or too deep."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, depth)
    active: set[int] = set()

    def visit(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YAMLProblem(
                line_of(node), "an anchor is used inside itself (a recursive alias): GitLab refuses it"
            )
        active.add(key)
        count, depth = 1, 0
        children = (
            node.value
            if isinstance(node, yaml.SequenceNode)
            else ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
        )
        for child in children:
            c, d = visit(child)
            count, depth = count + c, max(depth, d)
            if count > MAX_NODES:
                raise YAMLProblem(
                    line_of(node),
                    f"The parsed YAML is too big: aliases here expand to more than {MAX_NODES:,} values, "
                    "past GitLab's limit on the parsed configuration",
                )
        active.discard(key)
        if depth + 1 > MAX_DEPTH:
            raise YAMLProblem(
                line_of(node), f"The parsed YAML is too deep: more than {MAX_DEPTH} levels of nesting"
            )
        sizes[key] = (count, depth + 1)
        return sizes[key]

    visit(root)


@dataclass
class Document:
    """One CI file as GitLab reads it: the pipeline, its `spec:` header, and what loading noticed."""

    data: object
    spec: Map | None = None
    findings: list[Finding] = field(default_factory=list)


def parse(text: str, name: str = "") -> Document:
    """Read a CI file: an optional `spec:` header document, then the pipeline.

    Raises YAMLProblem (line, one sentence) for what GitLab refuses to load. Duplicate keys become
    findings; the last value wins, as in GitLab. `name` marks every node with the file it came from.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YAMLProblem(1, f"The provided YAML is too big: GitLab reads at most {MAX_BYTES // 2**20} MB")
    stream = io.StringIO(text)
    stream.name = name or "<text>"
    loader = GitLabLoader(stream)
    loader.duplicates = []
    try:
        nodes = []
        while loader.check_node():
            if len(nodes) == 2:
                raise YAMLProblem(
                    loader.peek_event().start_mark.line + 1,
                    "a CI file holds one document, or a `spec:` header and one document; this is a third",
                )
            nodes.append(loader.get_node())
        for node in nodes:
            _check_size(node)
        docs = [loader.construct_document(node) for node in nodes]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YAMLProblem(line, " ".join(filter(None, [exc.context, exc.problem]))) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YAMLProblem(
            line, f"not text YAML can read: {exc.reason} (character {exc.character!r})"
        ) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(1, " ".join(str(exc).split())) from None
    except RecursionError:
        raise YAMLProblem(1, "The parsed YAML is too deep for GitLab") from None
    finally:
        loader.dispose()
    spec = None
    if len(docs) == 2:
        if not (isinstance(docs[0], Map) and list(docs[0]) == ["spec"]):
            raise YAMLProblem(
                line_of(nodes[1]),
                "a second document: GitLab reads one only after a header document holding just `spec:`",
            )
        spec, docs = docs[0], docs[1:]
    data = docs[0] if docs else None
    findings = [
        Finding(
            line_of(node),
            f"duplicate key {key!r} (first on line {first}): GitLab keeps only this last value and "
            "drops the first without a word; remove one of them",
            file_of(node),
        )
        for node, key, first in loader.duplicates
    ]
    return Document(data, spec, findings)


def load(text: str):
    """The pipeline document of a CI file (after any `spec:` header), for code that runs it.

    Raises YAMLProblem for what GitLab refuses and also for a duplicate key, which GitLab reads
    (last value wins) but which is never what an example means; `parse` reports it and goes on.
    """
    doc = parse(text)
    if doc.findings:
        raise YAMLProblem(doc.findings[0].line, doc.findings[0].message)
    return doc.data


# --- spec:inputs -----------------------------------------------------------------------------------

# `$[[ inputs.name ]]`, optionally with functions: `$[[ inputs.name | expand_vars | truncate(0,8) ]]`
INPUT_RE = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*((?:\|[^\]]*)?)\]\]")


def spec_inputs(spec: Map | None) -> dict:
    """Declared inputs -> their `default:` (a missing default is the marker `REQUIRED`)."""
    inputs = (
        spec.get("spec", {}).get("inputs")
        if isinstance(spec, Map) and isinstance(spec.get("spec"), dict)
        else None
    )
    if not isinstance(inputs, dict):
        return {}
    return {k: (v.get("default", REQUIRED) if isinstance(v, dict) else REQUIRED) for k, v in inputs.items()}


REQUIRED = object()


def text_of(value) -> str:
    """A value as GitLab writes it into text (variables, inputs): booleans in lower case."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def interpolate(data, values: dict) -> None:
    """Replace `$[[ inputs.x ]]` in every string of `data` in place; unknown inputs stay as written.

    A string that is only the interpolation takes the input's value with its type (a list stays a
    list), as GitLab does; inside longer text the value is written out.
    """

    def one(value):
        if not isinstance(value, str) or "$[[" not in value:
            return value
        whole = INPUT_RE.fullmatch(value.strip())
        if whole and whole[1] in values and values[whole[1]] is not REQUIRED:
            return values[whole[1]]
        return INPUT_RE.sub(
            lambda m: text_of(values[m[1]]) if values.get(m[1], REQUIRED) is not REQUIRED else m[0], value
        )

    stack, seen = [data], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for k in list(item):
                item[k] = one(item[k])
                stack.append(item[k])
        elif isinstance(item, list):
            for i, v in enumerate(item):
                item[i] = one(v)
                stack.append(item[i])


# --- include -------------------------------------------------------------------------------------


def include_items(data) -> list[tuple[object, yaml.Node | None]]:
    """The entries of `include:` with their nodes (a single string or mapping is one entry)."""
    if not isinstance(data, Map) or "include" not in data:
        return []
    value, node = data["include"], data.value_nodes["include"]
    if isinstance(value, Seq):
        return list(zip(value, value.nodes))
    return [(value, node)]


def include_kind(item) -> tuple[str, str]:
    """(kind, location) of one include entry: local, remote, project, template or component."""
    if isinstance(item, str):
        return ("remote" if re.match(r"https?://", item) else "local"), item
    if isinstance(item, dict):
        for kind in ("local", "remote", "template", "component", "project"):
            if isinstance(item.get(kind), str):
                where = item[kind]
                if kind == "project":
                    files = item.get("file")
                    where += f" ({', '.join(map(str, files)) if isinstance(files, list) else files})"
                return kind, where
    return "unknown", str(item)


@dataclass
class Included:
    """A local include that was read: where it is, what it holds, what reading it found."""

    path: str  # relative to the project root, as written without a leading /
    file: str  # how findings name it (the path relative to the checker's root or the reader's cwd)
    document: Document | None
    line: int = 1  # the line of the top-level file's `include:` entry that brings it in


@dataclass
class Resolved:
    """A pipeline with its local includes merged in, and what could not be read."""

    data: object
    included: list[Included] = field(default_factory=list)
    remote: list[tuple[str, str]] = field(default_factory=list)  # (kind, location) not fetched here
    findings: list[Finding] = field(default_factory=list)


def _merge(base: Map, over: Map) -> Map:
    """GitLab's include merge: mappings merge deeply, the including file's values win."""
    out = Map(base)
    out.key_nodes, out.value_nodes = dict(base.key_nodes), dict(base.value_nodes)
    for k, v in over.items():
        if isinstance(out.get(k), Map) and isinstance(v, Map):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
        out.key_nodes[k], out.value_nodes[k] = over.key_nodes[k], over.value_nodes[k]
    return out


def resolve_includes(
    data, root: Path | None, depth: int = 0, count: list | None = None, top_line: int | None = None
) -> Resolved:
    """Merge `include: local:` files found under `root` into `data`.

    Files that cannot be read here (remote, project, template, component, or no root) are listed in
    `remote`; a missing local file is a finding at its include line.
    """
    count = [0] if count is None else count
    result = Resolved(data)
    if not isinstance(data, Map):
        return result
    merged = Map()
    for item, node in include_items(data):
        kind, where = include_kind(item)
        line, file = (line_of(node), file_of(node)) if node is not None else (1, "")
        if kind != "local" or root is None:
            result.remote.append((kind, where))
            continue
        inputs = item.get("inputs") if isinstance(item, dict) and isinstance(item.get("inputs"), dict) else {}
        rel = where.lstrip("/")
        if "$" in rel:
            result.remote.append(("local", where))  # a path built from variables: not known here
            continue
        matches = sorted(p for p in root.glob(rel) if p.is_file()) if "*" in rel else [root / rel]
        matches = [p for p in matches if p.is_file()]
        if not matches:
            result.findings.append(
                Finding(
                    line,
                    f"include `{where}`: no such file in the project ({display(root / rel)}); "
                    "GitLab fails the whole pipeline",
                    file,
                )
            )
            continue
        for path in matches:
            count[0] += 1
            if count[0] > MAX_INCLUDES or depth >= 100:
                result.findings.append(
                    Finding(line, f"include `{where}`: more than {MAX_INCLUDES} includes", file)
                )
                return result
            name = display(path)
            try:
                text = path.read_text(encoding="utf-8", errors="surrogateescape")
                doc = parse(text, name)
            except YAMLProblem as exc:
                result.findings.append(Finding(exc.line, f"does not load ({exc})", name))
                result.included.append(Included(rel, name, None, top_line or line))
                continue
            except OSError as exc:
                result.findings.append(
                    Finding(line, f"include `{where}`: cannot read it ({exc.strerror})", file)
                )
                continue
            values = spec_inputs(doc.spec)
            for key, value in inputs.items():
                if key not in values and doc.spec is not None:
                    result.findings.append(
                        Finding(
                            line, f"include `{where}`: input `{key}` is not declared in its spec:inputs", file
                        )
                    )
                values[key] = value
            for key, value in values.items():
                if value is REQUIRED:
                    result.findings.append(
                        Finding(
                            line, f"include `{where}`: input `{key}` has no default and is not given", file
                        )
                    )
            interpolate(doc.data, values)
            result.findings += doc.findings
            result.included.append(Included(rel, name, doc, top_line or line))
            inner = resolve_includes(doc.data, root, depth + 1, count, top_line or line)
            result.included += inner.included
            result.remote += inner.remote
            result.findings += inner.findings
            if isinstance(inner.data, Map):
                merged = _merge(merged, inner.data)
    if merged or result.included:
        own = Map({k: v for k, v in data.items() if k != "include"})
        own.key_nodes = {k: n for k, n in data.key_nodes.items() if k != "include"}
        own.value_nodes = {k: n for k, n in data.value_nodes.items() if k != "include"}
        out = _merge(merged, own)
        if "include" in data:  # keep the entry itself: the schema checks it
            out["include"] = data["include"]
            out.key_nodes["include"], out.value_nodes["include"] = (
                data.key_nodes["include"],
                data.value_nodes["include"],
            )
        result.data = out
    return result


def display(path: Path) -> str:
    """How findings name a file: relative to the working directory when it is below it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()

"""GitLab-aware YAML: load a .gitlab-ci.yml the way GitLab reads it, keeping line marks.

GitLab accepts the custom tag `!reference [job, key, ...]` (sequence form only) and rejects
duplicate keys (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags). PyYAML
accepts neither by default, and silently lets the last duplicate key win.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path, PurePosixPath

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Map(dict):
    """A mapping that remembers the YAML nodes of its keys and values."""

    key_nodes: dict
    value_nodes: dict


class Seq(list):
    """A sequence that remembers the YAML node of each item."""

    nodes: list


class Reference(Seq):
    """`!reference [.template, script]`: the path of the referenced value."""


class GitLabLoader(_Base):
    pass


def _mapping(loader: GitLabLoader, node: yaml.MappingNode) -> Map:
    loader.flatten_mapping(node)
    result = Map()
    result.key_nodes, result.value_nodes = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result.key_nodes:
            first = result.key_nodes[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first defined on line {first})", key_node.start_mark
            )
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


GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
GitLabLoader.add_constructor("!reference", _reference)


class YAMLProblem(Exception):
    """YAML GitLab would refuse; `line` is 1-based within the loaded text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def load(text: str):
    """Parse one YAML document as GitLab does. Raises YAMLProblem with a line and one sentence."""
    try:
        return yaml.load(text, Loader=GitLabLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(filter(None, [exc.context, exc.problem]))
        raise YAMLProblem(line, message) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(1, " ".join(str(exc).split())) from None


def line_of(node: yaml.Node) -> int:
    """1-based line of a node within the loaded text."""
    return node.start_mark.line + 1


# ================================================================================================
# Static checks of a pipeline: schema, semantics, images, variables.
#
# Each check returns findings `(line, message)`, line 1-based within the block's text; the example
# layer at the bottom turns them into "file:line: message" through `Example.where`.
# ================================================================================================

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("load", "schema", "semantics", "images", "variables")
Finding = tuple[int, str]

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

# GitLab's predefined CI/CD variables, from https://docs.gitlab.com/ci/variables/predefined_variables/
# (main table, merge request and external pull request tables).
PREDEFINED_VARIABLES = frozenset(
    """
    CHAT_CHANNEL CHAT_INPUT CHAT_USER_ID CI CI_API_V4_URL CI_API_GRAPHQL_URL CI_BUILDS_DIR
    CI_COMMIT_AUTHOR CI_COMMIT_BEFORE_SHA CI_COMMIT_BRANCH CI_COMMIT_DESCRIPTION CI_COMMIT_MESSAGE
    CI_COMMIT_REF_NAME CI_COMMIT_REF_PROTECTED CI_COMMIT_REF_SLUG CI_COMMIT_SHA CI_COMMIT_SHORT_SHA
    CI_COMMIT_TAG CI_COMMIT_TAG_MESSAGE CI_COMMIT_TIMESTAMP CI_COMMIT_TITLE CI_CONCURRENT_ID
    CI_CONCURRENT_PROJECT_ID CI_CONFIG_PATH CI_DEBUG_TRACE CI_DEBUG_SERVICES CI_DEFAULT_BRANCH
    CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX
    CI_DEPENDENCY_PROXY_PASSWORD CI_DEPENDENCY_PROXY_SERVER CI_DEPENDENCY_PROXY_USER CI_DEPLOY_FREEZE
    CI_DEPLOY_PASSWORD CI_DEPLOY_USER CI_DISPOSABLE_ENVIRONMENT CI_ENVIRONMENT_NAME
    CI_ENVIRONMENT_SLUG CI_ENVIRONMENT_URL CI_ENVIRONMENT_ACTION CI_ENVIRONMENT_TIER
    CI_GITLAB_FIPS_MODE CI_HAS_OPEN_REQUIREMENTS CI_JOB_ID CI_JOB_IMAGE CI_JOB_MANUAL CI_JOB_NAME
    CI_JOB_NAME_SLUG CI_JOB_STAGE CI_JOB_STATUS CI_JOB_TIMEOUT CI_JOB_TOKEN CI_JOB_URL
    CI_JOB_STARTED_AT CI_KUBERNETES_ACTIVE CI_NODE_INDEX CI_NODE_TOTAL CI_OPEN_MERGE_REQUESTS
    CI_PAGES_DOMAIN CI_PAGES_URL CI_PIPELINE_ID CI_PIPELINE_IID CI_PIPELINE_SOURCE
    CI_PIPELINE_TRIGGERED CI_PIPELINE_URL CI_PIPELINE_CREATED_AT CI_PIPELINE_NAME CI_PROJECT_DIR
    CI_PROJECT_ID CI_PROJECT_NAME CI_PROJECT_NAMESPACE CI_PROJECT_NAMESPACE_ID CI_PROJECT_PATH_SLUG
    CI_PROJECT_PATH CI_PROJECT_REPOSITORY_LANGUAGES CI_PROJECT_ROOT_NAMESPACE CI_PROJECT_TITLE
    CI_PROJECT_DESCRIPTION CI_PROJECT_URL CI_PROJECT_VISIBILITY CI_PROJECT_CLASSIFICATION_LABEL
    CI_REGISTRY CI_REGISTRY_IMAGE CI_REGISTRY_PASSWORD CI_REGISTRY_USER CI_RELEASE_DESCRIPTION
    CI_REPOSITORY_URL CI_RUNNER_DESCRIPTION CI_RUNNER_EXECUTABLE_ARCH CI_RUNNER_ID
    CI_RUNNER_REVISION CI_RUNNER_SHORT_TOKEN CI_RUNNER_TAGS CI_RUNNER_VERSION CI_SERVER_FQDN
    CI_SERVER_HOST CI_SERVER_NAME CI_SERVER_PORT CI_SERVER_PROTOCOL CI_SERVER_SHELL_SSH_HOST
    CI_SERVER_SHELL_SSH_PORT CI_SERVER_REVISION CI_SERVER_TLS_CA_FILE CI_SERVER_TLS_CERT_FILE
    CI_SERVER_TLS_KEY_FILE CI_SERVER_URL CI_SERVER_VERSION_MAJOR CI_SERVER_VERSION_MINOR
    CI_SERVER_VERSION_PATCH CI_SERVER_VERSION CI_SERVER CI_SHARED_ENVIRONMENT
    CI_TEMPLATE_REGISTRY_HOST CI_TRIGGER_SHORT_TOKEN GITLAB_CI GITLAB_FEATURES GITLAB_USER_EMAIL
    GITLAB_USER_ID GITLAB_USER_LOGIN GITLAB_USER_NAME KUBECONFIG TRIGGER_PAYLOAD
    CI_MERGE_REQUEST_APPROVED CI_MERGE_REQUEST_ASSIGNEES CI_MERGE_REQUEST_DIFF_BASE_SHA
    CI_MERGE_REQUEST_DIFF_ID CI_MERGE_REQUEST_EVENT_TYPE CI_MERGE_REQUEST_DESCRIPTION
    CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED CI_MERGE_REQUEST_ID CI_MERGE_REQUEST_IID
    CI_MERGE_REQUEST_LABELS CI_MERGE_REQUEST_MILESTONE CI_MERGE_REQUEST_PROJECT_ID
    CI_MERGE_REQUEST_PROJECT_PATH CI_MERGE_REQUEST_PROJECT_URL CI_MERGE_REQUEST_REF_PATH
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED
    CI_MERGE_REQUEST_SOURCE_BRANCH_SHA CI_MERGE_REQUEST_SOURCE_PROJECT_ID
    CI_MERGE_REQUEST_SOURCE_PROJECT_PATH CI_MERGE_REQUEST_SOURCE_PROJECT_URL
    CI_MERGE_REQUEST_SQUASH_ON_MERGE CI_MERGE_REQUEST_TARGET_BRANCH_NAME
    CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED CI_MERGE_REQUEST_TARGET_BRANCH_SHA
    CI_MERGE_REQUEST_TITLE CI_EXTERNAL_PULL_REQUEST_IID CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY
    CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME
    CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME
    CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA
    """.split()  # noqa: SIM905
)
# Set in every job's shell whatever the image: POSIX/bash environment and shell variables.
STANDARD_ENV = frozenset(
    """
    HOME PATH PWD OLDPWD USER LOGNAME SHELL HOSTNAME LANG LC_ALL TERM TMPDIR IFS UID EUID PPID
    SHLVL RANDOM SECONDS LINENO REPLY OPTARG OPTIND PIPESTATUS BASH BASH_VERSION BASH_SOURCE
    BASH_REMATCH FUNCNAME
    """.split()  # noqa: SIM905
)
# $VAR / ${VAR...}: `$$` is GitLab's escape for a literal `$`, `\$` the shell's.
VAR_RE = re.compile(r"(?<![$\\])\$(?:\{([A-Za-z_]\w*)([^}]*)\}|([A-Za-z_]\w*))")
# ${VAR:-x}, ${VAR-x}, ${VAR:=x}, ${VAR:+x}: the script copes with VAR being unset.
OPTIONAL_EXPANSION = re.compile(r"^:?[-=+?]")
UV_NAME_RE = re.compile(r"(?<![A-Za-z0-9_])UV_[A-Z0-9_]*[A-Z0-9]")
UV_INDEX_CREDENTIAL = re.compile(r"UV_INDEX_[A-Z0-9_]+_(?:USERNAME|PASSWORD)")


def _line(node) -> int:
    return line_of(node) if node is not None else 1


def _path(path) -> str:
    return ":".join(str(p) for p in path) or "(top level)"


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# --- schema --------------------------------------------------------------------------------------


@functools.cache
def validators():
    """(whole file, job template) validators on GitLab's schema as check-jsonschema ships it.

    Built once per process. The job-template validator points into the same definitions, so a
    template found through `extends:` is held to the job rules the whole-file schema applies to
    jobs (the whole-file schema accepts any hidden key, since it may be a plain YAML anchor).
    """
    from jsonschema import Draft7Validator

    schema = json.loads((files("check_jsonschema.builtin_schemas.vendor") / "gitlab-ci.json").read_text())
    checker = Draft7Validator.FORMAT_CHECKER
    template = {"$ref": "#/definitions/job_template", "definitions": schema["definitions"]}
    return Draft7Validator(schema, format_checker=checker), Draft7Validator(template, format_checker=checker)


def _node_at(data, path) -> yaml.Node | None:
    node, value = None, data
    for step in path:
        if isinstance(value, Map) and step in value.value_nodes:
            node, value = value.value_nodes[step], value[step]
        elif isinstance(value, Seq) and isinstance(step, int) and step < len(value.nodes):
            node, value = value.nodes[step], value[step]
        else:
            break
    return node


def _schema_finding(data, error, prefix=()) -> Finding:
    from jsonschema.exceptions import best_match

    best = best_match([error])
    path = [*prefix, *best.absolute_path]
    node = _node_at(data, path)
    message = best.message
    instance = best.instance
    if best.validator == "additionalProperties" and isinstance(instance, Map):
        allowed = best.schema.get("properties", {})
        patterns = best.schema.get("patternProperties", {})
        extra = [k for k in instance if k not in allowed and not any(re.search(p, str(k)) for p in patterns)]
        if extra:
            node = instance.key_nodes[extra[0]]
    if instance is None and path:
        message = f"`{path[-1]}:` has no value (null): a key followed only by comments is empty"
    return _line(node), f"{_path(path)}: {message}"


def schema_findings(data, *, templates=()) -> list[Finding]:
    """GitLab's CI schema on the whole document, and the job rules on `templates` (hidden keys)."""
    pipeline, template = validators()
    found = [_schema_finding(data, e) for e in pipeline.iter_errors(data)]
    for name in templates:
        if isinstance(data.get(name), dict):
            found += [_schema_finding(data, e, (name,)) for e in template.iter_errors(data[name])]
    return sorted(set(found))


# --- the pipeline model --------------------------------------------------------------------------


class Pipeline:
    """Jobs, templates and inheritance of one loaded document (a whole file or an excerpt)."""

    def __init__(self, data: Map, fragment: bool = False):
        self.data = data
        self.fragment = fragment
        self.open = fragment or "include" in data  # parts of the pipeline may be elsewhere
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
        self.extended = {t for name in self.jobs + self.hidden for t in self.extends(name) if t in data}

    def extends(self, name) -> list[str]:
        job = self.data.get(name)
        return (
            [t for t in _as_list(job.get("extends")) if isinstance(t, str)] if isinstance(job, dict) else []
        )

    def chain(self, name, seen=()) -> list[Map]:
        """The mappings a job is built from, strongest first: itself, then its extends (last wins)."""
        job = self.data.get(name)
        if not isinstance(job, dict) or name in seen:
            return []
        result = [job]
        for parent in reversed(self.extends(name)):
            result += self.chain(parent, (*seen, name))
        return result

    def defined(self, name, key) -> tuple[object, Map | None]:
        """(value, mapping that sets it) of job keyword `key`, following extends, default, top level."""
        for mapping in self.chain(name):
            if key in mapping:
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
                values = [[_text(v) for v in _as_list(row[k])] for k in keys]
                combos += [dict(zip(keys, c)) for c in itertools.product(*values)]
        return combos or [{}]

    def stage(self, name) -> str:
        value, _ = self.defined(name, "stage")
        return value if isinstance(value, str) else "test"

    def stages(self) -> list[str] | None:
        declared = self.data.get("stages")
        if not isinstance(declared, list):
            return None
        names = [s for s in _flatten(declared) if isinstance(s, str)]
        return [".pre", *[s for s in names if s not in (".pre", ".post")], ".post"]

    def lookup(self, path) -> tuple[object, yaml.Node | None, bool]:
        """(value, node, found) at a !reference path."""
        value, node = self.data, None
        for step in path:
            if not isinstance(value, Map) or step not in value:
                return None, None, False
            value, node = value[step], value.value_nodes[step]
        return value, node, True

    def contexts(self) -> list[str]:
        """Names to check as a job would run: every job, and templates no job in the block extends."""
        return self.jobs + [t for t in self.hidden if t not in self.extended]


def _text(value) -> str:
    """A variable value as GitLab hands it to the job."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _flatten(value) -> Iterator:
    for item in _as_list(value):
        if isinstance(item, list) and not isinstance(item, Reference):
            yield from _flatten(item)
        else:
            yield item


def expand(text: str, values: dict[str, object], depth: int = 5) -> str:
    """$VAR and ${VAR} replaced by `values`, as GitLab expands variables; unknown names stay."""
    for _ in range(depth):
        new = VAR_RE.sub(
            lambda m: _text(values[m[1] or m[3]]) if (m[1] or m[3]) in values and not m[2] else m[0], text
        )
        if new == text:
            break
        text = new
    return text


# --- semantics -----------------------------------------------------------------------------------


def _job_needs(job) -> Iterator[tuple[str, yaml.Node]]:
    """Names of jobs this job needs in this pipeline (other projects, optional needs left out)."""
    for key in ("needs", "dependencies"):
        value = job.get(key)
        if not isinstance(value, Seq):
            continue
        for item, node in zip(value, value.nodes):
            if isinstance(item, str):
                yield item, node
            elif (
                isinstance(item, Map)
                and isinstance(item.get("job"), str)
                and not item.get("optional")
                and not item.keys() & {"project", "pipeline"}
            ):
                yield item["job"], item.value_nodes["job"]


def _caches(value) -> Iterator[Map]:
    for item in _as_list(value):
        if isinstance(item, Map):
            yield item


def _outside_project(path: str) -> bool:
    if re.match(r"\$(CI_PROJECT_DIR\b|\{CI_PROJECT_DIR\})", path):
        return False
    return path.startswith(("/", "~")) or ".." in PurePosixPath(path).parts


def semantic_findings(p: Pipeline) -> list[Finding]:
    """What GitLab rejects (or silently gets wrong) that its schema lets through."""
    data, found = p.data, []
    job_keywords = set(validators()[0].schema["definitions"]["job_template"]["properties"])
    stages = p.stages()
    if stages is None and not p.fragment:
        stages = list(DEFAULT_STAGES)
    # script, stage, needs: per job
    for name in p.jobs:
        job = data[name]
        key_line = _line(data.key_nodes.get(name))
        has_body = any(k in m for m in p.chain(name) for k in ("script", "trigger", "run"))
        unknown_parent = any(t not in data for t in p.extends(name))
        # a job with a key the schema rejects (`scrip:`) is reported there, once
        misspelt = any(set(m) - job_keywords for m in p.chain(name))
        if not has_body and not misspelt and not (p.open and unknown_parent):
            message = (
                f"job `{name}` has no script: every job needs `script`, `trigger` or `run` (GitLab: "
                f"`{name} job: config should implement the script:, run:, or trigger: keyword`)"
            )
            found.append((key_line, message))
        stage = p.stage(name)
        if stages is not None and stage not in stages:
            where = job.value_nodes.get("stage") if "stage" in job else data.key_nodes.get(name)
            message = f"job `{name}`: stage `{stage}` is not in `stages:` ({', '.join(stages)}); declare it"
            found.append((_line(where), message))
        for needed, node in _job_needs(job):
            if needed not in p.jobs:
                if not p.open:
                    found.append((_line(node), f"job `{name}` needs `{needed}`, which is not a job here"))
            elif (
                stages is not None
                and stage in stages
                and p.stage(needed) in stages
                and (stages.index(p.stage(needed)) > stages.index(stage))
            ):
                message = (
                    f"job `{name}` (stage {stage}) needs `{needed}` of the later stage {p.stage(needed)}"
                )
                found.append((_line(node), message))
    # extends targets
    for name in p.jobs + p.hidden:
        job = data[name]
        for target in p.extends(name):
            if target not in data and not p.open:
                found.append(
                    (
                        _line(job.value_nodes.get("extends")),
                        f"job `{name}` extends `{target}`, which is not defined here",
                    )
                )
    # !reference targets
    for ref in (v for v in walk(data) if isinstance(v, Reference)):
        if not ref or not all(isinstance(s, str) for s in ref):
            found.append(
                (_line(ref.nodes[0] if ref.nodes else None), "!reference needs [job, key, ...] names")
            )
            continue
        _, _, ok = p.lookup(ref)
        if not ok and not (p.open and ref[0] not in data):
            found.append(
                (_line(ref.nodes[0]), f"!reference [{', '.join(ref)}] points at nothing in this block")
            )
    # cache: key files, policy, paths
    owners = [(n, data[n]) for n in p.jobs + p.hidden]
    if isinstance(data.get("default"), Map):
        owners.append(("default", data["default"]))
    owners.append((None, data))
    for name, owner in owners:
        values = p.variables(name if name != "default" else None)
        for cache in _caches(owner.get("cache")):
            key = cache.get("key")
            if isinstance(key, Map) and isinstance(key.get("files"), Seq) and len(key["files"]) > 2:
                found.append(
                    (
                        _line(key.key_nodes["files"]),
                        f"cache:key:files lists {len(key['files'])} files; GitLab takes one or two",
                    )
                )
            policy = cache.get("policy")
            if isinstance(policy, str) and not re.fullmatch(r"pull|push|pull-push|\$\w+|\$\{\w+\}", policy):
                found.append(
                    (
                        _line(cache.value_nodes["policy"]),
                        f"cache:policy `{policy}` is not pull, push or pull-push",
                    )
                )
        for section in ("cache", "artifacts"):
            for item in _caches(owner.get(section)) if section == "cache" else [owner.get(section)]:
                paths = item.get("paths") if isinstance(item, Map) else None
                if not isinstance(paths, Seq):
                    continue
                for path, node in zip(paths, paths.nodes):
                    if isinstance(path, str) and _outside_project(real := expand(path, values)):
                        shown = f"`{path}` (= `{real}`)" if real != path else f"`{path}`"
                        message = (
                            f"{section} path {shown} is outside the project directory; "
                            "GitLab only keeps paths inside $CI_PROJECT_DIR"
                        )
                        found.append((_line(node), message))
    # numbers where GitLab wants strings
    for value, node in _variable_values(p):
        if isinstance(value, float) and node is not None:
            raw = node.value
            message = f'`{raw}` is a number to YAML (it reads {raw} as {value!r}); quote it: "{raw}"'
            found.append((_line(node), message))
    return sorted(set(found))


def walk(value) -> Iterator:
    """`value` and every mapping value and sequence item below it, depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def _variable_values(p: Pipeline) -> Iterator[tuple[object, yaml.Node | None]]:
    """Every variable and parallel:matrix value with its node."""
    owners = [p.data] + [p.data[n] for n in p.jobs + p.hidden]
    for owner in owners:
        variables = owner.get("variables")
        if isinstance(variables, Map):
            for key, value in variables.items():
                if isinstance(value, Map) and "value" in value:
                    yield value["value"], value.value_nodes["value"]
                else:
                    yield value, variables.value_nodes[key]
        parallel = owner.get("parallel")
        rows = parallel.get("matrix") if isinstance(parallel, Map) else None
        for row in rows if isinstance(rows, Seq) else []:
            if isinstance(row, Map):
                for key, value in row.items():
                    if isinstance(value, Seq):
                        yield from zip(value, value.nodes)
                    else:
                        yield value, row.value_nodes[key]


# --- images --------------------------------------------------------------------------------------

UV_IMAGE_RE = re.compile(
    r"^(?:ghcr\.io/astral-sh/uv|(?:docker\.io/)?astral/uv)(?::(?P<tag>[^@\s]+))?(?:@\S+)?$"
)


@functools.cache
def site_values():
    """docs/macros.py: the pinned uv version and the image tags published for it."""
    if str(ROOT / "docs") not in sys.path:
        sys.path.insert(0, str(ROOT / "docs"))
    import macros

    return macros


def image_problem(ref: str) -> str | None:
    """Why `ref` is not an image uv publishes for the pinned version (None when it is, or not uv's)."""
    m = UV_IMAGE_RE.match(ref)
    if not m:
        return None
    macros = site_values()
    tag = m["tag"] or "latest"
    if tag in macros.image_tags():
        return None
    version = re.match(r"(\d+\.\d+(?:\.\d+)?)(?=-|$)", tag)
    if version and version[1] not in (macros.UV_VERSION, macros.UV_MINOR):
        return f"image `{ref}` uses uv {version[1]}: pin the uv version the guide tests: {macros.UV_VERSION}"
    hint = ""
    if "bookworm" in tag:
        hint = " (bookworm images were removed in uv 0.10.0)"
    elif close := difflib.get_close_matches(tag, sorted(macros.image_tags()), 1):
        hint = f" (did you mean `{close[0]}`?)"
    return f"image tag `{tag}` is not published for uv {macros.UV_VERSION}{hint}"


def _is_distroless(ref: str) -> bool:
    m = UV_IMAGE_RE.match(ref)
    return bool(m) and re.fullmatch(r"latest|\d+\.\d+(\.\d+)?", m["tag"] or "latest") is not None


def _image_name(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def image_findings(p: Pipeline) -> list[Finding]:
    """uv images must exist for the pinned uv, with the block's own variables expanded."""
    found = []
    names = p.contexts() or [None]
    for name in names:
        if name is None:
            owner = p.data.get("default") if isinstance(p.data.get("default"), Map) else p.data
            value, owner = (owner.get("image"), owner) if "image" in owner else (p.data.get("image"), p.data)
        else:
            value, owner = p.defined(name, "image")
        ref = _image_name(value)
        if ref is None or owner is None:
            continue
        node = owner.value_nodes["image"]
        if isinstance(value, Map) and "name" in value:
            node = value.value_nodes["name"]
        base = p.variables(name)
        has_script = name is not None and p.defined(name, "script")[1] is not None
        for combo in p.matrix(name) if name else [{}]:
            real = expand(ref, {**base, **combo})
            if VAR_RE.search(real):
                continue  # an undefined variable: the variables check reports it
            problem = image_problem(real)
            if problem:
                found.append((_line(node), problem))
            elif has_script and _is_distroless(real):
                m = site_values()
                message = (
                    f"`{real}` is the distroless image: it has no shell, so GitLab cannot run `script:` "
                    f"in it; use a derived tag such as `{m.UV_VERSION}-python{m.PYTHON_VERSION}-{m.BASE_LAYER}`"
                )
                found.append((_line(node), message))
    return sorted(set(found))


# --- variables -----------------------------------------------------------------------------------


def _scalar_lines(value: str, node) -> Iterator[tuple[str, int]]:
    """(line text, line number) of a string scalar, block scalars line by line."""
    first = _line(node)
    block = getattr(node, "style", None) in ("|", ">")
    for i, text in enumerate(value.split("\n")):
        yield text, (first + 1 + i if block else first + i)


def _strings(value, node) -> Iterator[tuple[str, yaml.Node | None]]:
    """Every string in a value with its node."""
    if isinstance(value, str):
        yield value, node
    elif isinstance(value, Map):
        for key, item in value.items():
            yield from _strings(item, value.value_nodes[key])
    elif isinstance(value, Seq):
        for item, child in zip(value, value.nodes):
            yield from _strings(item, child)


def _script(p: Pipeline, value, node, depth: int = 0) -> Iterator[tuple[str, yaml.Node | None]]:
    """Script lines with their nodes, !reference tags followed to the lines they stand for."""
    if isinstance(value, Reference):
        target, target_node, ok = p.lookup(value)
        if ok and depth < 10:
            yield from _script(p, target, target_node, depth + 1)
    elif isinstance(value, str):
        yield value, node
    elif isinstance(value, Seq):
        for item, child in zip(value, value.nodes):
            yield from _script(p, item, child, depth)


def shell_uses(text: str) -> Iterator[tuple[str, int]]:
    """(name, line index) of each variable a shell script expands; single quotes and comments skipped."""
    i, line, quote, n = 0, 0, None, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif quote == "'":
            quote = None if c == "'" else quote
        elif c == "\\":
            line += text[i + 1 : i + 2] == "\n"
            i += 1
        elif c == "'" and quote is None:
            quote = "'"
        elif c == '"':
            quote = None if quote == '"' else '"'
        elif c == "#" and quote is None and (i == 0 or text[i - 1] in " \t\n;"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c == "$" and text[i + 1 : i + 2] == "$":
            i += 1
        elif c == "$" and (m := VAR_RE.match(text, i)):
            if not (m[2] and OPTIONAL_EXPANSION.match(m[2])):
                yield m[1] or m[3], line
            i = m.end()
            continue
        i += 1


_SHELL_SETS = (
    # NAME=..., export NAME=..., local/declare/readonly NAME=...
    re.compile(
        r"(?:^|[\s;&|(!])(?:(?:export|local|declare|typeset|readonly)(?:\s+-\w+)*\s+)?"
        r"([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?="
    ),
    re.compile(r"\b(?:export|local|declare|typeset|readonly)(?:\s+-\w+)*((?:\s+[A-Za-z_]\w*)+)"),
    re.compile(r"\bfor\s+([A-Za-z_]\w*)\s+in\b"),
    re.compile(r"\b(?:read|mapfile|readarray|getopts)\b([^;&|\n]*)"),
)


def shell_sets(text: str) -> set[str]:
    """Names a script sets itself: assignments, export, for loops, read."""
    names = set()
    for regex in _SHELL_SETS:
        for m in regex.finditer(text):
            names.update(w for w in m[1].split() if re.fullmatch(r"[A-Za-z_]\w*", w))
    return names


@functools.cache
def _uv_binary() -> bytes:
    return Path(sys.executable).with_name("uv").read_bytes()


# What may follow a complete name in the binary: printable non-name text, a name, a capitalised word.
_NAME_END = re.compile(rb"[\t\n !-/:-@\[-^`{-~]|UV_|[A-Z][a-z]")


@functools.cache
def uv_variables() -> frozenset[str]:
    """The UV_* environment variables the pinned uv binary names.

    The binary stores strings back to back, so a name counts only where it ends at printable text
    that cannot continue it, at the next `UV_` name, or at a capitalised word
    (`UV_PUBLISH_PASSWORDThe password`). Names inside machine code end at unprintable bytes.
    """
    blob = _uv_binary()
    names = set()
    for m in re.finditer(rb"UV_[A-Z0-9_]*", blob):
        run, end = m[0], m.end()
        starts = [i for i in range(len(run)) if run.startswith(b"UV_", i)]
        for start, stop in zip(starts, [*starts[1:], len(run)]):
            for cut in range(start + 4, stop + 1):
                if run[cut - 1 : cut] != b"_" and _NAME_END.match(run[cut:] + blob[end : end + 3]):
                    names.add(run[start:cut].decode())
    return frozenset(names)


@functools.cache
def uv_help_variables() -> frozenset[str]:
    """`[env: UV_...]` names of every `uv ... --help` page (about 0.6 s, so only asked when needed)."""
    uv = str(Path(sys.executable).with_name("uv"))
    names, todo = set(), [[]]
    while todo:
        path = todo.pop()
        run = subprocess.run([uv, *path, "--help"], capture_output=True, text=True, env={}, check=False)
        names |= set(re.findall(r"\[env:\s+(UV_[A-Z0-9_]+)", run.stdout))
        if commands := re.search(r"^Commands:\n((?:  .*\n)+)", run.stdout, re.MULTILINE):
            todo += [
                [*path, line.split()[0]] for line in commands[1].splitlines() if line.split()[0] != "help"
            ]
    return frozenset(names)


# Read by uv's standalone installer (install.sh / install.ps1), not by the uv binary:
# https://docs.astral.sh/uv/reference/installer/
INSTALLER_VARIABLES = frozenset({"UV_INSTALL_DIR", "UV_NO_MODIFY_PATH", "UV_UNMANAGED_INSTALL"})
# The installer's URL with a version in its path: https://astral.sh/uv/<version>/install.sh
INSTALLER_URL_RE = re.compile(r"astral\.sh/uv/\$(?:env:)?\{?(UV_[A-Z0-9_]+)\}?/install\.(sh|ps1)")


@functools.cache
def uv_knows(name: str) -> bool:
    """Whether the pinned uv reads environment variable `name`.

    Besides the names `uv_variables` finds, a name counts when the binary has it followed by an
    upper-case value name (clap stores `UV_PUBLISH_URL` right before `CHECK_URL`), or when a help
    page shows it (`[env: UV_INSECURE_HOST=]`). A name cut off at an underscore (`UV_CACHE` of
    `UV_CACHE_DIR`) does not count. Names stored only before lower-case text and absent from help
    pages (`UV_PYTHON_CACHE_DIR`) are not recognised: declare none such in the guide.
    """
    if UV_INDEX_CREDENTIAL.fullmatch(name):
        return b"UV_INDEX_" in _uv_binary()
    if name in INSTALLER_VARIABLES:
        return True
    if name in uv_variables():
        return True
    if re.search(re.escape(name.encode()) + rb"[A-Z][A-Z]", _uv_binary()):
        return True
    return name in uv_help_variables()


def variable_findings(p: Pipeline, declared=()) -> list[Finding]:
    """Every $VAR a job uses is defined, predefined, set by its shell or declared; UV_* names exist."""
    data, found = p.data, []
    always = PREDEFINED_VARIABLES | STANDARD_ENV | set(declared)

    reported = set()

    def check(uses, known, what):
        for name, line in uses:
            if name not in known and (line, name) not in reported:
                reported.add((line, name))
                message = (
                    f"{what} uses ${name}, which is not defined: set it under `variables:`, or declare "
                    f'a CI/CD variable the reader creates with <!-- check: variables="{name}" -->'
                )
                found.append((line, message))

    def plain(value, node):
        for text, snode in _strings(value, node):
            for part, line in _scalar_lines(text, snode):
                for m in VAR_RE.finditer(part):
                    if not (m[2] and OPTIONAL_EXPANSION.match(m[2])):
                        yield m[1] or m[3], line

    def shell(lines):
        for text, node in lines:
            first = _line(node)
            block = getattr(node, "style", None) in ("|", ">")
            for name, index in shell_uses(text):
                yield name, first + index + (1 if block else 0)

    top = set(p.variables()) | always
    # top level: variable values and workflow rules
    for key in ("variables", "workflow"):
        if key in data:
            value = data[key]
            if key == "variables" and isinstance(value, Map):
                value = Map(
                    {k: v for k, v in value.items() if not (isinstance(v, dict) and v.get("expand") is False)}
                )
                value.key_nodes, value.value_nodes = data[key].key_nodes, data[key].value_nodes
            check(plain(value, data.value_nodes[key]), top, "the pipeline")
    for name in p.contexts():
        yaml_known = set(p.variables(name)) | always
        for combo in p.matrix(name):
            yaml_known |= set(combo)
        for key in ("id_tokens", "secrets"):
            value, _ = p.defined(name, key)
            if isinstance(value, dict):
                yaml_known |= set(value)
        sections = {}
        for key in ("before_script", "script", "after_script"):
            value, owner = p.defined(name, key)
            sections[key] = list(_script(p, value, owner.value_nodes[key])) if owner is not None else []
        main = sections["before_script"] + sections["script"]
        main_known = yaml_known | shell_sets("\n".join(t for t, _ in main))
        after_known = yaml_known | shell_sets("\n".join(t for t, _ in sections["after_script"]))
        check(shell(main), main_known, f"job `{name}`")
        check(
            shell(sections["after_script"]), after_known, f"job `{name}` (after_script runs in a new shell)"
        )
        for mapping in p.chain(name):
            variables = mapping.get("variables")
            if isinstance(variables, Map):
                for key, value in variables.items():
                    if not (isinstance(value, dict) and value.get("expand") is False):
                        check(plain(value, variables.value_nodes[key]), yaml_known, f"job `{name}`")
        for key in ("image", "rules", "cache", "artifacts", "release", "environment"):
            value, owner = p.defined(name, key)
            if owner is not None:
                check(plain(value, owner.value_nodes[key]), yaml_known, f"job `{name}`")
    if not p.contexts():
        for key in ("image", "cache", "before_script", "after_script"):
            for owner in (data, data.get("default")):
                if isinstance(owner, Map) and key in owner:
                    check(plain(owner[key], owner.value_nodes[key]), top, "the pipeline")
    # UV_* names: each must be a variable uv reads, unless it only names an image tag part or the
    # version in the standalone installer's URL
    image_text = " ".join(t for t, _ in _strings(data, None) if UV_IMAGE_RE.match(t.split(":")[0]))
    image_text += " " + " ".join(
        "$" + m[1] for t, _ in _strings(data, None) for m in INSTALLER_URL_RE.finditer(t)
    )
    seen = set()
    for text, line in _texts(data):
        for name in UV_NAME_RE.findall(text):
            if name in seen or re.search(rf"\$\{{?{name}\b", image_text) or uv_knows(name):
                continue
            seen.add(name)
            close = difflib.get_close_matches(name, sorted(uv_variables() | uv_help_variables()), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            found.append(
                (line, f"{name} is not an environment variable uv {site_values().UV_VERSION} reads{hint}")
            )
    return sorted(set(found))


def _texts(value, node=None) -> Iterator[tuple[str, int]]:
    """Every key and string of a document, line by line."""
    if isinstance(value, Map):
        for key, item in value.items():
            if isinstance(key, str):
                yield key, _line(value.key_nodes[key])
            yield from _texts(item, value.value_nodes[key])
    elif isinstance(value, Seq):
        for item, child in zip(value, value.nodes):
            yield from _texts(item, child)
    elif isinstance(value, str):
        yield from _scalar_lines(value, node)


# --- one block -----------------------------------------------------------------------------------

PIPELINE_FILE = ".gitlab-ci.yml"
MISSPELT_PIPELINE_FILES = {"gitlab-ci.yml", "gitlab-ci.yaml", ".gitlab-ci.yaml"}


def kinds_for(title: str | None) -> tuple[str, ...]:
    """Checks that apply to a YAML block: a block titled with another file name is only loaded."""
    if title is None or PurePosixPath(title).name in {PIPELINE_FILE, *MISSPELT_PIPELINE_FILES}:
        return KINDS
    return ("load",)


def check_text(
    text: str, *, title: str | None = None, fragment: bool = False, declared=()
) -> dict[str, list[Finding]]:
    """Findings per check kind for one YAML block.

    A whole pipeline (no `fragment` marker) is checked as GitLab would check the file. A fragment
    is an excerpt: its top-level keys are jobs, templates and global keywords exactly as in a whole
    file, so the whole-file schema applies to it unchanged (and, like in a whole file, templates that
    something `extends` are held to the job rules). What an excerpt may leave to the rest of the
    file is only what lives elsewhere: `stages:` (no stage check unless the excerpt declares them),
    and targets of needs/extends/!reference that it does not define. A job still needs a script.
    """
    kinds = kinds_for(title)
    result: dict[str, list[Finding]] = {kind: [] for kind in kinds}
    if title and PurePosixPath(title).name in MISSPELT_PIPELINE_FILES:
        # line 0: the fence line, where the title is written
        result["load"].append((0, f'title "{title}": GitLab reads `{PIPELINE_FILE}`; title the block so'))
    try:
        data = load(text)
    except YAMLProblem as exc:
        result["load"].append((exc.line, str(exc)))
        return result
    if kinds == ("load",):
        return result
    if not isinstance(data, Map):
        what = "empty" if data is None else f"a {type(data).__name__}"
        result["load"].append((1, f"a pipeline is a mapping of jobs and keywords; this block is {what}"))
        return result
    pipeline = Pipeline(data, fragment=fragment)
    result["schema"] = schema_findings(data, templates=sorted(pipeline.extended & set(pipeline.hidden)))
    result["semantics"] = semantic_findings(pipeline)
    result["images"] = image_findings(pipeline)
    result["variables"] = variable_findings(pipeline, declared)
    return result


def check_example(example) -> dict[str, list[str]]:
    """Problems per check kind of one YAML `Example`, each starting with the file:line to fix."""
    findings = check_text(
        example.source,
        title=example.title,
        fragment="fragment" in example.markers,
        declared=example.markers.get("variables", "").split(),
    )
    return {
        kind: [f"{example.where(line - 1)}: {message}" for line, message in items]
        for kind, items in findings.items()
    }


def check_yaml(example) -> list[str]:
    """Every problem of one YAML example, each line starting with file:line."""
    return [problem for problems in check_example(example).values() for problem in problems]


def check_all(examples) -> list[str]:
    """Every problem of many examples; what the benchmark times (validators built once)."""
    return [problem for example in examples for problem in check_yaml(example)]

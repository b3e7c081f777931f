"""GitLab's CI JSON schema (check-jsonschema's vendored copy), run in-process on the schema view.

Built once per process. `format: regex` (the `coverage:` keyword) is checked with RE2, the engine
GitLab uses for it (https://docs.gitlab.com/ci/yaml/#coverage: "uses RE2 regular expression
syntax"), not with Python's `re`.
"""

from __future__ import annotations

import functools
import json
import re
from importlib.util import find_spec
from pathlib import Path

import yaml

from .loader import Finding, Map, Seq, file_of, line_of
from .model import Pipeline, schema_view

# check-jsonschema's copy of GitLab's schema, found without importing check-jsonschema (its CLI
# imports take seconds, and `--pipeline` must start fast).
SCHEMA = Path(find_spec("check_jsonschema").origin).parent / "builtin_schemas" / "vendor" / "gitlab-ci.json"
MAX_MESSAGE = 300  # a schema message quotes the value; a 200 kB line must not become a 200 kB finding


def re2_error(pattern: str) -> str | None:
    """Why RE2 rejects `pattern` (None when it compiles)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason is in the exception; RE2 would also print it to stderr
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        return (reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) or "invalid"
    return None


def slashed_regex(text: str) -> tuple[str, str] | None:
    """(pattern, flags) of GitLab's `/pattern/flags` form, None when `text` is not in that form."""
    m = re.fullmatch(r"/(.*)/([a-z]*)", text, re.DOTALL)
    return (m[1], m[2]) if m else None


def _is_re2(instance) -> bool:
    if not isinstance(instance, str):
        return True
    parts = slashed_regex(instance)
    return re2_error(parts[0] if parts else instance) is None


@functools.cache
def validators():
    """(whole file, job template) validators on GitLab's schema as check-jsonschema ships it.

    The job-template validator points into the same definitions, so a template found through
    `extends:` is held to the job rules the whole-file schema applies to jobs (the whole-file schema
    accepts any hidden key, since it may be a plain YAML anchor).
    """
    from jsonschema import Draft7Validator, FormatChecker

    schema = json.loads(SCHEMA.read_text())
    checker = FormatChecker(Draft7Validator.FORMAT_CHECKER.checkers)
    checker.checks("regex")(_is_re2)
    template = {"$ref": "#/definitions/job_template", "definitions": schema["definitions"]}
    return Draft7Validator(schema, format_checker=checker), Draft7Validator(template, format_checker=checker)


def job_keywords() -> frozenset[str]:
    return frozenset(validators()[0].schema["definitions"]["job_template"]["properties"])


def _node_at(data, path) -> yaml.Node | None:
    """The node at a schema error's path; an alias (its node lies above the place that uses it)
    stops the walk, so the finding points at the use, not at the anchor."""
    node, value = None, data
    for step in path:
        if isinstance(value, Map) and step in value.value_nodes:
            nxt, value = value.value_nodes[step], value[step]
        elif isinstance(value, Seq) and isinstance(step, int) and step < len(value.nodes):
            nxt, value = value.nodes[step], value[step]
        else:
            break
        if node is not None and nxt.start_mark.line < node.start_mark.line:
            break
        node = nxt
    return node


def _path(path) -> str:
    return ":".join(str(p) for p in path) or "(top level)"


def _finding(data, error, prefix=()) -> Finding:
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
    if best.validator == "format" and best.validator_value == "regex":
        parts = slashed_regex(instance) or (instance, "")
        message = f"{instance!r} is not a regular expression GitLab accepts (RE2: {re2_error(parts[0])})"
    if instance is None and path:
        message = f"`{path[-1]}:` has no value (null): a key followed only by comments is empty"
        if path[-1] in ("needs", "image", "cache", "before_script", "after_script", "services", "artifacts"):
            message += "; `null` unsets a key only where the job inherits it (extends or default:)"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Finding(line_of(node) if node is not None else 1, f"{_path(path)}: {message}", file_of(node))


def schema_findings(data, *, templates=(), pipeline: Pipeline | None = None) -> list[Finding]:
    """GitLab's CI schema on the document as GitLab validates it, and the job rules on `templates`."""
    view = schema_view(pipeline or Pipeline(data))
    whole, template = validators()
    found = [_finding(view, e) for e in whole.iter_errors(view)]
    for name in templates:
        if isinstance(view.get(name), dict):
            found += [_finding(view, e, (name,)) for e in template.iter_errors(view[name])]
    return sorted(set(found))

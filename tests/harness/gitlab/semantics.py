"""What GitLab rejects, or silently gets wrong, that its schema lets through.

A job without script, stages and needs that do not exist, `extends` and `!reference` targets that
are not there, cache keys and policies GitLab will not use as written, paths outside the project,
numbers where GitLab wants text, and `rules:if` regular expressions RE2 cannot compile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

import yaml

from .loader import Finding, Map, Reference, Seq
from .model import DEFAULT_STAGES, GUIDE, Pipeline, Rules, as_list, at, expand, walk
from .schema import job_keywords, re2_error

# GitLab takes one or two files for cache:key:files; up to 10 where an instance turns on the
# `increase_ci_cache_key_files_limit` feature flag (https://docs.gitlab.com/ci/yaml/#cachekeyfiles).
KEY_FILES = 2
KEY_FILES_FLAG = 10
# `=~ /pattern/flags` and `!~ /pattern/flags` in rules:if (https://docs.gitlab.com/ci/jobs/job_rules/#compare-a-variable-to-a-regular-expression)
RULE_REGEX = re.compile(r"[=!]~\s*/((?:\\.|[^/\\])*)/([a-z]*)")


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


def caches(value) -> Iterator[Map]:
    for item in as_list(value):
        if isinstance(item, Map):
            yield item


def _outside_project(path: str) -> bool:
    if re.match(r"\$(CI_PROJECT_DIR\b|\{CI_PROJECT_DIR\})", path):
        return False
    return path.startswith(("/", "~")) or ".." in PurePosixPath(path).parts


def cache_owners(p: Pipeline) -> list[tuple[str | None, Map]]:
    """(job or None, mapping) of every place a `cache:` may be written."""
    owners = [(n, p.data[n]) for n in p.jobs + p.hidden]
    if isinstance(p.data.get("default"), Map):
        owners.append((None, p.data["default"]))
    owners.append((None, p.data))
    return owners


def _remote_note(p: Pipeline) -> str:
    return ", ".join(f"{kind} `{where}`" for kind, where in p.remote)


def semantic_findings(p: Pipeline, rules: Rules = GUIDE) -> list[Finding]:
    """What GitLab rejects (or silently gets wrong) that its schema lets through."""
    data, found = p.data, []
    keywords = job_keywords()
    stages = p.stages()
    if stages is None and not p.fragment:
        stages = list(DEFAULT_STAGES)
    # script, stage, needs: per job
    for name in p.jobs:
        job = data[name]
        key_node = data.key_nodes.get(name)
        has_body = any(k in m for m in p.chain(name) for k in ("script", "trigger", "run"))
        unknown_parent = any(t not in data for t in p.extends(name))
        misspelt = any(set(m) - keywords for m in p.chain(name))  # reported by the schema, once
        if not has_body and not misspelt and not (p.open and unknown_parent):
            if p.remote:
                found.append(
                    at(
                        key_node,
                        f"job `{name}` has no script here: it must come from "
                        f"{_remote_note(p)}, which is not read here",
                        "note",
                    )
                )
            else:
                found.append(
                    at(
                        key_node,
                        f"job `{name}` has no script: every job needs `script`, `trigger` or "
                        f"`run` (GitLab: `{name} job: config should implement the script:, run:, "
                        "or trigger: keyword`)",
                    )
                )
        stage = p.stage(name)
        if stages is not None and stage not in stages:
            where = job.value_nodes.get("stage") if "stage" in job else key_node
            if p.remote and "stages" not in data:
                found.append(
                    at(
                        where,
                        f"job `{name}`: stage `{stage}` is not declared here; `stages:` may "
                        f"come from {_remote_note(p)}, which is not read here",
                        "note",
                    )
                )
            else:
                found.append(
                    at(
                        where,
                        f"job `{name}`: stage `{stage}` is not in `stages:` "
                        f"({', '.join(stages)}); declare it",
                    )
                )
        for needed, node in _job_needs(job):
            if needed not in p.jobs:
                if not p.open:
                    found.append(at(node, f"job `{name}` needs `{needed}`, which is not a job here"))
            elif (
                stages is not None
                and stage in stages
                and p.stage(needed) in stages
                and (stages.index(p.stage(needed)) > stages.index(stage))
            ):
                found.append(
                    at(
                        node,
                        f"job `{name}` (stage {stage}) needs `{needed}` of the later stage {p.stage(needed)}",
                    )
                )
    # extends targets
    for name in p.jobs + p.hidden:
        job = data[name]
        for target in p.extends(name):
            if target not in data and not p.open:
                found.append(
                    at(
                        job.value_nodes.get("extends"),
                        f"job `{name}` extends `{target}`, which is not defined here",
                    )
                )
    # !reference targets
    for ref in (v for v in walk(data) if isinstance(v, Reference)):
        if not ref or not all(isinstance(s, str) for s in ref):
            found.append(at(ref.nodes[0] if ref.nodes else None, "!reference needs [job, key, ...] names"))
            continue
        _, _, ok = p.lookup(ref)
        if not ok and not (p.open and ref[0] not in data):
            found.append(
                at(
                    ref.nodes[0],
                    f"!reference [{', '.join(ref)}] points at nothing in this {rules.level('block', 'file')}",
                )
            )
    # cache: key files, policy; cache and artifacts paths
    for name, owner in cache_owners(p):
        values = p.variables(name)
        for cache in caches(owner.get("cache")):
            key = cache.get("key")
            if (
                isinstance(key, Map)
                and isinstance(key.get("files"), Seq)
                and KEY_FILES < len(key["files"]) <= KEY_FILES_FLAG
            ):
                found.append(
                    at(
                        key.key_nodes["files"],
                        (
                            f"cache:key:files lists {len(key['files'])} files; GitLab takes one or two, and up to "
                            f"{KEY_FILES_FLAG} only where the instance turns on the `increase_ci_cache_key_files_limit` "
                            "feature flag"
                        ),
                        rules.level("error", "note"),
                    )
                )
            policy = cache.get("policy")
            if isinstance(policy, str) and not re.fullmatch(r"pull|push|pull-push|\$\w+|\$\{\w+\}", policy):
                found.append(
                    at(cache.value_nodes["policy"], f"cache:policy `{policy}` is not pull, push or pull-push")
                )
        for section in ("cache", "artifacts"):
            for item in caches(owner.get(section)) if section == "cache" else [owner.get(section)]:
                paths = item.get("paths") if isinstance(item, Map) else None
                if not isinstance(paths, Seq):
                    continue
                for path, node in zip(paths, paths.nodes):
                    if isinstance(path, str) and _outside_project(real := expand(path, values)):
                        shown = f"`{path}` (= `{real}`)" if real != path else f"`{path}`"
                        found.append(
                            at(
                                node,
                                f"{section} path {shown} is outside the project directory; "
                                "GitLab only keeps paths inside $CI_PROJECT_DIR",
                            )
                        )
    # numbers where GitLab wants strings
    for value, node in _variable_values(p):
        if isinstance(value, float) and node is not None and isinstance(node, yaml.ScalarNode):
            raw = node.value
            found.append(
                at(node, f'`{raw}` is a number to YAML (it reads {raw} as {value!r}); quote it: "{raw}"')
            )
    found += rule_regex_findings(data)
    return sorted(set(found))


def rule_regex_findings(data) -> list[Finding]:
    """`rules: - if: $VAR =~ /pattern/` must be a regular expression RE2 compiles, as GitLab uses RE2."""
    found = []
    for value in walk(data):
        if isinstance(value, Map) and isinstance(value.get("if"), str):
            for m in RULE_REGEX.finditer(value["if"]):
                if problem := re2_error(m[1]):
                    found.append(
                        at(
                            value.value_nodes["if"],
                            f"rules:if: /{m[1]}/ is not a regular expression GitLab accepts (RE2: {problem})",
                        )
                    )
    return found


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

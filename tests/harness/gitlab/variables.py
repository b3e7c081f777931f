"""Every `$VAR` a pipeline uses is defined: in its YAML, by GitLab, by the job's own shell, or declared.

The guide declares the CI/CD variables a reader creates (`<!-- check: variables="..." -->`), so an
undefined name is an error there. A reader's file may get variables from places it does not show
(project or group settings, dotenv artifacts, triggers, schedules), so an undefined name is a note
there, except a near-miss of a predefined variable (`$CI_COMMIT_TAGS`), which is an error with the
name GitLab does set. PowerShell jobs read variables as `$env:NAME`; their `$name` are PowerShell's own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

import yaml

from .loader import Finding, Map, Reference, Seq, file_of, line_of
from .model import GUIDE, VAR_RE, Pipeline, Rules, flatten, is_powershell

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
# ${VAR:-x}, ${VAR-x}, ${VAR:=x}, ${VAR:+x}: the script copes with VAR being unset.
OPTIONAL_EXPANSION = re.compile(r"^:?[-=+?]")
POWERSHELL_ENV = re.compile(r"\$env:([A-Za-z_]\w*)", re.IGNORECASE)
POWERSHELL_SETS = re.compile(r"\$env:([A-Za-z_]\w*)\s*=", re.IGNORECASE)
# Set in every Windows process (names are case-insensitive there).
WINDOWS_ENV = frozenset(
    """
    PATH PATHEXT HOME HOMEDRIVE HOMEPATH USERPROFILE USERNAME USERDOMAIN COMPUTERNAME TEMP TMP APPDATA
    LOCALAPPDATA PROGRAMDATA PROGRAMFILES PROGRAMFILES(X86) SYSTEMROOT SYSTEMDRIVE WINDIR OS
    PROCESSOR_ARCHITECTURE NUMBER_OF_PROCESSORS PSMODULEPATH COMSPEC PUBLIC
    """.split()  # noqa: SIM905
)
# A name this close to a predefined one is a typo of it (CI_COMMIT_TAGS, CI_PROJET_DIR).
NEAR_MISS = 0.9
Use = tuple[str, int, str]  # (name, line, file)


def scalar_lines(value: str, node) -> Iterator[tuple[str, int, str]]:
    """(line text, line number, file) of a string scalar, block scalars line by line."""
    first = line_of(node) if node is not None else 1
    block = getattr(node, "style", None) in ("|", ">")
    for i, text in enumerate(value.split("\n")):
        yield text, (first + 1 + i if block else first + i), file_of(node)


def strings(value, node) -> Iterator[tuple[str, yaml.Node | None]]:
    """Every string in a value with its node."""
    if isinstance(value, str):
        yield value, node
    elif isinstance(value, Map):
        for key, item in value.items():
            yield from strings(item, value.value_nodes[key])
    elif isinstance(value, Seq):
        for item, child in zip(value, value.nodes):
            yield from strings(item, child)


def script_items(p: Pipeline, value, node, depth: int = 0) -> Iterator[tuple[str, yaml.Node | None]]:
    """Script lines with their nodes, !reference tags followed to the lines they stand for."""
    if isinstance(value, Reference):
        target, target_node, ok = p.lookup(value)
        if ok and depth < 10:
            yield from script_items(p, target, target_node, depth + 1)
    elif isinstance(value, str):
        yield value, node
    elif isinstance(value, Seq) and depth < 20:
        for item, child in zip(value, value.nodes):
            yield from script_items(p, item, child, depth + 1)


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


def powershell_sets(text: str) -> set[str]:
    """Names a PowerShell script sets (`$env:NAME = ...`), and Windows' own, in every spelling case."""
    names = {m[1] for m in POWERSHELL_SETS.finditer(text)} | WINDOWS_ENV
    return (
        names
        | {n.upper() for n in names}
        | {m[1] for m in POWERSHELL_ENV.finditer(text) if m[1].upper() in WINDOWS_ENV}
    )


def dotenv_names(p: Pipeline) -> set[str]:
    """Names jobs write into an `artifacts:reports:dotenv` file (`echo "NAME=..." >> build.env`);
    GitLab passes them to later jobs (https://docs.gitlab.com/ci/variables/#pass-an-environment-variable-to-another-job)."""
    names = set()
    for name in p.jobs:
        artifacts, _ = p.defined(name, "artifacts")
        reports = artifacts.get("reports") if isinstance(artifacts, dict) else None
        files = (
            [f for f in flatten(reports.get("dotenv")) if isinstance(f, str)]
            if isinstance(reports, dict)
            else []
        )
        if not files:
            continue
        value, owner = p.defined(name, "script")
        for text, _ in script_items(p, value, None):
            for line in text.splitlines():
                if any(f in line for f in files):
                    names.update(re.findall(r"\b([A-Za-z_]\w*)=", line))
    return names


def rule_variables(rules) -> set[str]:
    """Variables `rules:` entries set (`rules: - if: ... variables: {NAME: value}`)."""
    names = set()
    for rule in flatten(rules):
        if isinstance(rule, dict) and isinstance(rule.get("variables"), dict):
            names |= {k for k in rule["variables"] if isinstance(k, str)}
    return names


def near_miss(name: str) -> str | None:
    close = difflib.get_close_matches(name, sorted(PREDEFINED_VARIABLES), 1, NEAR_MISS)
    return close[0] if close else None


def variable_findings(p: Pipeline, rules: Rules = GUIDE, declared=()) -> list[Finding]:
    """Every $VAR a job uses is defined, predefined, set by its shell or declared."""
    data, found = p.data, []
    always = PREDEFINED_VARIABLES | STANDARD_ENV | set(declared) | set(rules.declared) | dotenv_names(p)
    workflow = data.get("workflow")
    always |= rule_variables(workflow.get("rules")) if isinstance(workflow, dict) else set()
    reported = set()

    def check(uses, known, what):
        for name, line, file in uses:
            if name in known or (line, name, file) in reported:
                continue
            reported.add((line, name, file))
            if typo := near_miss(name):
                found.append(
                    Finding(
                        line, f"{what} uses ${name}, which GitLab does not set: did you mean ${typo}?", file
                    )
                )
            elif rules.reader:
                found.append(
                    Finding(
                        line,
                        f"{what} uses ${name}, which this file does not define: it must come from "
                        "the project's CI/CD settings, a trigger, a schedule or a dotenv report",
                        file,
                        "note",
                    )
                )
            else:
                found.append(
                    Finding(
                        line,
                        f"{what} uses ${name}, which is not defined: set it under `variables:`, or "
                        f'declare a CI/CD variable the reader creates with <!-- check: variables="{name}" -->',
                        file,
                    )
                )

    def plain(value, node):
        for text, snode in strings(value, node):
            for part, line, file in scalar_lines(text, snode):
                for m in VAR_RE.finditer(part):
                    if not (m[2] and OPTIONAL_EXPANSION.match(m[2])):
                        yield m[1] or m[3], line, file

    def shell(lines, powershell: bool):
        for text, node in lines:
            first = line_of(node) if node is not None else 1
            block = getattr(node, "style", None) in ("|", ">")
            if powershell:
                uses = ((m[1], text[: m.start()].count("\n")) for m in POWERSHELL_ENV.finditer(text))
            else:
                uses = shell_uses(text)
            for name, index in uses:
                yield name, first + index + (1 if block else 0), file_of(node)

    top = set(p.variables()) | always
    # top level: variable values and workflow rules
    for key in ("variables", "workflow"):
        if key in data:
            value = data[key]
            if key == "variables" and isinstance(value, Map):
                kept = Map(
                    {k: v for k, v in value.items() if not (isinstance(v, dict) and v.get("expand") is False)}
                )
                kept.key_nodes, kept.value_nodes = value.key_nodes, value.value_nodes
                value = kept
            check(plain(value, data.value_nodes[key]), top, "the pipeline")
    for name in p.contexts():
        yaml_known = set(p.variables(name)) | always | rule_variables(p.defined(name, "rules")[0])
        for combo in p.matrix(name):
            yaml_known |= set(combo)
        for key in ("id_tokens", "secrets"):
            value, _ = p.defined(name, key)
            if isinstance(value, dict):
                yaml_known |= set(value)
        sections = {}
        for key in ("before_script", "script", "after_script"):
            value, owner = p.defined(name, key)
            sections[key] = list(script_items(p, value, owner.value_nodes[key])) if owner is not None else []
        main = sections["before_script"] + sections["script"]
        powershell = is_powershell(p, name)
        sets = powershell_sets if powershell else shell_sets
        main_known = yaml_known | sets("\n".join(t for t, _ in main))
        after_known = yaml_known | sets("\n".join(t for t, _ in sections["after_script"]))
        check(shell(main, powershell), main_known, f"job `{name}`")
        check(
            shell(sections["after_script"], powershell),
            after_known,
            f"job `{name}` (after_script runs in a new shell)",
        )
        for mapping in p.chain(name):
            variables = mapping.get("variables")
            if isinstance(variables, Map):
                for key, value in variables.items():
                    if not (isinstance(value, dict) and value.get("expand") is False):
                        check(plain(value, variables.value_nodes[key]), yaml_known, f"job `{name}`")
        for key in ("image", "rules", "cache", "artifacts", "release", "environment"):
            value, owner = p.defined(name, key)
            if owner is not None and key in owner.value_nodes:
                check(plain(value, owner.value_nodes[key]), yaml_known, f"job `{name}`")
    if not p.contexts():
        for key in ("image", "cache", "before_script", "after_script"):
            for owner in (data, data.get("default")):
                if isinstance(owner, Map) and key in owner:
                    check(plain(owner[key], owner.value_nodes[key]), top, "the pipeline")
    return sorted(set(found))

"""Run a .gitlab-ci.yml for real: gitlab-ci-local's shell executor, the uv under test, the local registry.

Each run gets a git repository inside the sandbox holding the sample project
(tests/fixtures/sample-project/, its uv_build bounds set for the uv under test) and the example as
its .gitlab-ci.yml. gitlab-ci-local runs the pipeline with `--force-shell-executor
--shell-isolation`: every job runs natively in its own copy of the repository, artifacts and caches
move between jobs only as declared. `image:` and `services:` are ignored by the shell executor: jobs
run with the sandbox's Python and the uv under test (the pin, or the release `--uv` names;
harness/uv_under_test.py) instead of the image's, which is the point (the uv the guide documents is
the uv that runs). One part of the
image is kept: a job whose image takes its Python version from a variable (`python$PYTHON_VERSION`,
as in a test matrix) finds that version first on PATH as `python3` and `python` (see image_pythons).

Predefined variables point at the local registry (CI_API_V4_URL, CI_PROJECT_ID, CI_JOB_TOKEN,
CI_SERVER_*); a `tag` makes a tag pipeline (CI_COMMIT_TAG); `branch` and `change` make the pipeline's
commit one on top of the default branch (what a push or a merge request brings); the variables of a
merge request pipeline make one (merge_request_variables). Every proxy variable points at the
registry's stand-in for pypi.org (harness/pypi.py): jobs install third-party packages from PyPI by its
real URLs and get the wheelhouse; any other host is refused at once, without a DNS lookup.

Files the pipeline includes from its own project (`include: local`, and components of the project
itself) are copied into the repository from the example's directory (see included_files).

Script lines that cannot run on this machine (harness/script_lines.py) are replaced by an `echo` naming the
reason before the run, so the rest of the job still runs, and are reported as not runnable.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .collect import ROOT, Example
from .gitlab import (
    Map,
    Pipeline,
    Reference,
    Seq,
    YAMLProblem,
    line_of,
    load,
)
from .registry import PROJECT_PATH, Registry
from .sandbox import GUIDE_PYTHONS, Sandbox
from .script_lines import (
    SCRIPT_KEYS,
    ScriptLine,
    jobs_of,
    mark_not_runnable,
    script_lines,
)
from .tools import NO_PIPELINE, ensure_tools
from .uv_under_test import copy_project, current

SAMPLE_PROJECT = ROOT / "tests" / "fixtures" / "sample-project"
DEFAULT_TIMEOUT = 90.0

class PipelineError(Exception):
    """The pipeline could not be set up; the message starts with file:line."""


@dataclass
class JobResult:
    status: str  # "passed", "failed", "warned" (failed with allow_failure), "not run"
    log: str  # the job's output (gitlab-ci-local's output/<job>.log)
    dir: Path | None = None  # the job's working copy (CI_PROJECT_DIR)
    artifacts: Path | None = None  # what the job exported as artifacts


@dataclass
class PipelineRun:
    workdir: Path  # the repository (the pipeline's project)
    jobs: dict[str, JobResult]
    returncode: int
    log: str  # gitlab-ci-local's own output
    registry: Registry
    sandbox: Sandbox
    variables: dict[str, str]
    text: str  # the .gitlab-ci.yml that ran (after not-runnable lines were replaced)
    lines: list[ScriptLine]
    where: Callable[[int], str]  # 1-based pipeline line -> "file:line"
    job_lines: dict[str, int]  # job name -> 1-based line of its key
    duration: float
    timed_out: bool = False
    expected: tuple[str, ...] | None = None  # the jobs the rules must run, when the caller says

    @property
    def created(self) -> bool:
        """Whether workflow:rules let the pipeline be created."""
        return NO_PIPELINE not in self.log

    @property
    def ran(self) -> list[str]:
        """Jobs of the file that ran (a `parallel:` job once), in file order."""
        return [
            job
            for job in self.job_lines
            if any(_instance_of(n, job) and j.status != "not run" for n, j in self.jobs.items())
        ]

    @property
    def ok(self) -> bool:
        if self.timed_out or self.returncode != 0:
            return False
        if self.expected is not None:  # jobs the rules leave out are not failures
            return sorted(self.ran) == sorted(self.expected) and all(
                j.status in ("passed", "warned", "not run") for j in self.jobs.values()
            )
        return bool(self.jobs) and all(j.status in ("passed", "warned") for j in self.jobs.values())

    @property
    def state(self) -> Path:
        """gitlab-ci-local's state dir (builds, artifacts, cache, output)."""
        return self.workdir / ".gitlab-ci-local"

    def cache_dirs(self) -> list[Path]:
        """The caches jobs saved, one directory per cache key."""
        cache = self.state / "cache"
        return sorted(p for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []

    @property
    def executed(self) -> set[str]:
        """First lines of the commands the jobs ran (as gitlab-ci-local echoes them)."""
        seen = set()
        for job in self.jobs.values():
            for line in job.log.splitlines():
                if line.startswith("$ "):
                    seen.add(line[2:].removesuffix(" # collapsed multi-line command").strip())
        return seen

    @property
    def lines_run(self) -> list[int]:
        """Pipeline lines of the script items that ran."""
        executed = self.executed
        return [s.line for s in self.lines if s.reason is None and _first_line(s.text) in executed]

    @property
    def script_lines(self) -> tuple[int, int]:
        """(lines run, lines shown): every script item of every job and template counts once."""
        return len(self.lines_run), len(self.lines)

    @property
    def not_runnable(self) -> list[tuple[str, str]]:
        return [(self.where(s.line), s.reason) for s in self.lines if s.reason]

    def failure(self, tail: int = 25) -> str:
        """Why the run is not ok, starting with the file:line of the job (or the pipeline) at fault."""
        if self.timed_out:
            return (
                f"{self.where(1)}: pipeline stopped after {self.duration:.0f} s (timeout): a job hangs\n"
                + _tail(self.log, tail)
            )
        if self.expected is not None and sorted(self.ran) != sorted(self.expected):
            ran = ", ".join(self.ran) or ("nothing: " + NO_PIPELINE if not self.created else "no job")
            return (
                f"{self.where(1)}: the rules ran {ran}; expected {', '.join(self.expected) or 'no job'}\n"
                + _tail(self.log, tail)
            )
        allowed = ("passed", "warned") + (("not run",) if self.expected is not None else ())
        bad = [(n, j) for n, j in self.jobs.items() if j.status not in allowed]
        if not bad or all(j.status == "not run" for j in self.jobs.values()):
            return (
                f"{self.where(1)}: gitlab-ci-local exited {self.returncode} without running a job\n"
                + _tail(self.log, tail)
            )
        parts = []
        for name, job in bad:
            key = next((j for j in self.job_lines if _instance_of(name, j)), name)
            where = self.where(self.job_lines.get(key, 1))
            what = "did not run (rules, when or needs left it out)" if job.status == "not run" else "failed"
            parts.append(f"{where}: job {name!r} {what}\n" + _tail(job.log, tail))
        return "\n".join(parts)


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def _tail(text: str, n: int) -> str:
    lines = text.rstrip().splitlines()[-n:]
    return "\n".join("    " + line for line in lines)


# --- reading the pipeline ----------------------------------------------------------------------


def _manual_jobs(config: Map) -> list[str]:
    return [name for name in jobs_of(config) if config[name].get("when") == "manual"]


def _replace_not_runnable(text: str, config: Map) -> str:
    """The pipeline text with each not-runnable item replaced by an echo (line numbers kept)."""
    lines = mark_not_runnable(config, script_lines(config), current().version, current().pinned)
    edits = []

    def visit(value, node):
        if isinstance(value, Reference):
            return
        if isinstance(value, Seq):
            for v, n in zip(value, value.nodes):
                visit(v, n)
        elif isinstance(value, str):
            hit = next((s for s in lines if s.line == line_of(node) and s.text == value and s.reason), None)
            if hit:
                edits.append((node.start_mark.index, node.end_mark.index, hit.reason))

    for key, value in config.items():
        if key in SCRIPT_KEYS:
            visit(value, config.value_nodes[key])
        elif isinstance(value, Map):
            for part in SCRIPT_KEYS:
                if part in value:
                    visit(value[part], value.value_nodes[part])
    for start, end, reason in sorted(edits, reverse=True):
        span = text[start:end]
        echo = "'echo \"not runnable here: " + reason.replace("'", "") + "\"'"
        text = text[:start] + echo + "\n" * span.count("\n") + text[end:]
    return text


# --- files the pipeline includes ---------------------------------------------------------------

# A component of the project itself, at the commit that runs: the form GitLab's docs give for testing
# a component in its own project (https://docs.gitlab.com/ci/components/#test-the-component).
OWN_COMPONENT = re.compile(
    r"^\$\{?CI_SERVER_FQDN\}?/\$\{?CI_PROJECT_PATH\}?/(?P<name>[^@/]+)@\$\{?CI_COMMIT_SHA\}?$"
)


def _include_items(config: Map) -> list[tuple[str, str, int]]:
    """(kind, value, line) of each `include` item of this project: kind "local" or "component".

    `include: path` and list items that are strings are local unless they are URLs
    (https://docs.gitlab.com/ci/yaml/#include); remote, project and template includes are left to
    gitlab-ci-local.
    """
    if "include" not in config:
        return []
    value, node = config["include"], config.value_nodes["include"]
    items = list(zip(value, value.nodes)) if isinstance(value, Seq) else [(value, node)]
    found = []
    for item, item_node in items:
        if isinstance(item, str) and not re.match(r"https?://", item):
            found.append(("local", item, line_of(item_node)))
        elif isinstance(item, Map):
            for kind in ("local", "component"):
                if isinstance(item.get(kind), str):
                    found.append((kind, item[kind], line_of(item.value_nodes[kind])))
    return found


def included_files(config: Map, base: Path, where: Callable[[int], str]) -> dict[str, Path]:
    """Repository path -> file, for what the pipeline includes from its own project.

    `base` plays the project's root: a snippet's directory, so `include: local: templates/x.yml` in
    snippets/<page>/y.yml is snippets/<page>/templates/x.yml. Components of the project itself are
    templates/<name>.yml or templates/<name>/template.yml
    (https://docs.gitlab.com/ci/components/#directory-structure).
    Included files are read for their own includes. A missing file is a PipelineError at its line.
    """
    files: dict[str, Path] = {}
    queue = [(config, where)]
    while queue:
        current, at = queue.pop()
        for kind, value, line in _include_items(current):
            if kind == "local":
                pattern = value.lstrip("/")
                if ".." in PurePosixPath(pattern).parts:
                    raise PipelineError(f"{at(line)}: include:local {value!r} leaves the project")
                found = sorted(base.glob(pattern)) if "*" in pattern else [base / pattern]
                found = [f for f in found if f.is_file()]
                if not found:
                    missing = _shown(base / pattern)
                    raise PipelineError(f"{at(line)}: include:local {value!r}: no file {missing}")
            else:
                m = OWN_COMPONENT.match(value)
                if not m:
                    continue  # another project's component: gitlab-ci-local fetches it, or fails
                single = base / "templates" / f"{m['name']}.yml"
                folder = base / "templates" / m["name"]
                if single.is_file():
                    found = [single]
                elif (folder / "template.yml").is_file():
                    files[str(folder.relative_to(base))] = folder
                    found = [folder / "template.yml"]
                else:
                    raise PipelineError(
                        f"{at(line)}: component {value!r}: no file {_shown(single)} "
                        f"or {_shown(folder / 'template.yml')}"
                    )
            for path in found:
                name = str(path.relative_to(base))
                if name in files:
                    continue
                files[name] = path
                queue.append((_included_config(path), lambda n, path=path: f"{_shown(path)}:{n}"))
    return files


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _included_config(path: Path) -> Map:
    """The configuration of an included file (the document after any `spec:` header)."""
    try:
        config = load(path.read_text())
    except YAMLProblem as exc:
        raise PipelineError(f"{_shown(path)}:{exc.line}: {exc}") from None
    return config if isinstance(config, Map) else Map()


# --- the Python of a job's image ----------------------------------------------------------------

# A variable giving the Python version in an image name: uv's `python$V` tags, Docker's `python:$V`.
IMAGE_PYTHON = re.compile(r"(?:^|/)(?:python:|uv:[^/\s]*?python)\$\{?(?P<variable>\w+)\}?")


def image_pythons(config: Map) -> dict[str, str]:
    """Job -> the variable that holds the Python of its image ("PYTHON_VERSION").

    Only jobs that choose their Python through a variable get it (a test matrix, the reference
    pipeline's PYTHON_VERSION): for them the version is the point of the example. A job whose image
    names a literal version (`python3.12-trixie-slim`) keeps the sandbox's `python3`, the Python
    that the effect checks of `--system` installs look at.
    """
    pipeline = Pipeline(config)
    found = {}
    for name in jobs_of(config):
        value, _ = pipeline.defined(name, "image")
        ref = value.get("name") if isinstance(value, dict) else value
        m = IMAGE_PYTHON.search(ref) if isinstance(ref, str) else None
        if m:
            found[name] = m["variable"]
    return found


def _image_python_hook(sandbox: Sandbox, pythons: dict[str, str]) -> str:
    """Bash that each job shell sources (BASH_ENV): puts the Python of the job's image first on PATH.

    GitLab runs such a job in its image, where `python3` and `python` are that version; here the
    sandbox's copy of that version stands in. A version the sandbox lacks fails the job, saying so.
    """
    versions = ", ".join(v for v in GUIDE_PYTHONS if sandbox.image_python(v))
    have = f"it has {versions} (GUIDE_PYTHONS in tests/harness/sandbox.py)"
    lines = [
        "# The Python of the job's image first on PATH (harness/runner.py).",
        "_image_python() {",
        "  local variable version",
        '  case "${CI_JOB_NAME-}" in',
    ]
    for job, variable in pythons.items():
        q = shlex.quote(job)
        pattern = f"{q}|{shlex.quote(job + ': [')}*|{q}' '[0-9]*/[0-9]*"
        lines.append(f"    {pattern}) variable={variable} version=${{{variable}-}} ;;")
    lines += [
        "    *) return 0 ;;",
        "  esac",
        '  case "$version" in 3.*.*) version=${version%.*} ;; esac',
        f'  local dir={shlex.quote(str(sandbox.root / "image-python"))}/"$version"',
        '  if [ -z "$version" ]; then',
        '    echo "the job\'s image takes its Python version from $variable, which is empty" >&2',
        "    exit 1",
        "  fi",
        '  if [ ! -d "$dir" ]; then',
        f"    local why={shlex.quote(have)}",
        '    case "$version" in',
        *[f"      {v}) why={shlex.quote(why)} ;;" for v, why in sandbox.missing_pythons.items()],
        "    esac",
        '    echo "the job\'s image has Python $version, and the sandbox has no Python $version: $why" >&2',
        "    exit 1",
        "  fi",
        '  case ":$PATH:" in *":$dir:"*) ;; *) PATH="$dir:$PATH" ;; esac',
        "}",
        "_image_python",
        "unset -f _image_python",
        "",
    ]
    return "\n".join(lines)


# --- running -----------------------------------------------------------------------------------


def _git(repo: Path, sandbox: Sandbox, *args: str) -> None:
    result = sandbox.run(["git", *args], cwd=repo, timeout=30)
    if result.returncode != 0:
        raise PipelineError(f"git {' '.join(args)} failed: {result.stderr.strip()}")


def _make_repo(
    repo: Path,
    sandbox: Sandbox,
    registry: Registry,
    text: str,
    tag: str | None,
    prepare,
    files: dict[str, Path],
    branch: str | None = None,
    change=None,
) -> None:
    copy_project(SAMPLE_PROJECT, repo)
    (repo / ".gitlab-ci.yml").write_text(text)
    for name, source in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, repo / name, dirs_exist_ok=True)
        else:
            shutil.copy2(source, repo / name)
    if prepare is not None:
        prepare(repo, registry)
    _git(repo, sandbox, "init", "-q", "-b", "main")
    _git(repo, sandbox, "config", "user.name", "Pipeline Runner")
    _git(repo, sandbox, "config", "user.email", "runner@example.invalid")
    _git(repo, sandbox, "add", "-A")
    _git(repo, sandbox, "commit", "-q", "-m", "sample project")
    _git(repo, sandbox, "remote", "add", "origin", f"{registry.url}/{registry.project_path}.git")
    # gitlab-ci-local reads the default branch from the remote's HEAD.
    _git(repo, sandbox, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, sandbox, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    # The pipeline's commit: on `branch`, and with `change` one commit the default branch lacks.
    # gitlab-ci-local evaluates `rules:changes` as `git diff --name-only origin/<default branch>`.
    if branch and branch != "main":
        _git(repo, sandbox, "checkout", "-q", "-b", branch)
    if change is not None:
        change(repo)
        _git(repo, sandbox, "add", "-A")
        _git(repo, sandbox, "commit", "-q", "-m", "change")
    if tag:
        _git(repo, sandbox, "tag", tag)


def predefined_variables(registry: Registry, tag: str | None) -> dict[str, str]:
    """GitLab's predefined variables, pointing at the local registry."""
    variables = {
        "CI_API_V4_URL": registry.api_v4,
        "CI_PROJECT_ID": registry.project_id,
        "CI_PROJECT_PATH": registry.project_path,
        "CI_JOB_TOKEN": registry.job_token,
        "CI_SERVER_HOST": "127.0.0.1",
        "CI_SERVER_PORT": str(registry.port),
        "CI_SERVER_PROTOCOL": "http",
        "CI_SERVER_FQDN": registry.host,
        "CI_SERVER_URL": registry.url,
        "CI": "true",
        "GITLAB_CI": "true",
    }
    if tag:
        variables.update(CI_COMMIT_TAG=tag, CI_COMMIT_REF_NAME=tag, CI_COMMIT_REF_SLUG=_slug(tag))
    return variables


def merge_request_variables(source: str = "feature", target: str = "main", iid: int = 1) -> dict[str, str]:
    """The predefined variables of a merge request pipeline for merge request !iid.

    GitLab sets CI_PIPELINE_SOURCE to merge_request_event and the CI_MERGE_REQUEST_* variables, and
    lists the open merge requests of the source branch in CI_OPEN_MERGE_REQUESTS
    (https://docs.gitlab.com/ci/variables/predefined_variables/); CI_COMMIT_BRANCH is "not available
    in merge request pipelines", so run_pipeline unsets it. Run the pipeline on branch `source`.
    """
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(iid),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_MERGE_REQUEST_PROJECT_PATH": PROJECT_PATH,
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        "CI_OPEN_MERGE_REQUESTS": f"{PROJECT_PATH}!{iid}",
    }


def _slug(ref: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ref.lower())[:63].strip("-")


def _safe_job_name(name: str) -> str:
    """gitlab-ci-local's file name for a job (its safeDockerString: runs of other characters than
    letters, digits, `_` and `-` become their base64url, e.g. `test: [3.11]` -> `testOiBb3Lg11XQ`)."""

    def encode(m: re.Match) -> str:
        return base64.urlsafe_b64encode(m.group().encode()).decode().rstrip("=")

    return re.sub(r"[^\w-]+", encode, name)


def _instance_of(name: str, job: str) -> bool:
    """Whether `name` is `job` or one of its `parallel:` instances (`job: [3.11]`, `job 1/3`)."""
    return (
        name == job
        or name.startswith(job + ": [")
        or re.fullmatch(re.escape(job) + r" \d+/\d+", name) is not None
    )


def _results(repo: Path, stdout: str, config_jobs: list[str]) -> dict[str, JobResult]:
    """Result per job that ran (each `parallel:` instance by its own name); "not run" for the rest."""
    status = {}
    for line in stdout.splitlines():
        # " PASS  job", " FAIL  job", and for allow_failure " WARN  job  pre_script" (the phase follows);
        # a job with `coverage:` gets its figure after the name (" PASS  test 88% coverage").
        m = re.match(r"^\s?(PASS|FAIL|WARN)\s+(.+?)(?: [\d.]+% coverage)?(?:\s{2,}\w+)?\s*$", line)
        if m and any(_instance_of(m[2], job) for job in config_jobs):
            status[m[2]] = {"PASS": "passed", "FAIL": "failed", "WARN": "warned"}[m[1]]
    names = [n for job in config_jobs for n in ([i for i in status if _instance_of(i, job)] or [job])]
    jobs = {}
    state = repo / ".gitlab-ci-local"
    for name in names:
        safe = _safe_job_name(name)
        log = state / "output" / f"{safe}.log"
        jobs[name] = JobResult(
            status=status.get(name, "not run"),
            log=log.read_text(errors="replace") if log.exists() else "",
            dir=(state / "builds" / safe) if (state / "builds" / safe).exists() else None,
            artifacts=(state / "artifacts" / safe) if (state / "artifacts" / safe).exists() else None,
        )
    return jobs


def run_pipeline(
    example_or_path: Example | Path | str,
    sandbox: Sandbox,
    registry: Registry,
    *,
    jobs: list[str] | tuple[str, ...] | None = None,
    variables: dict[str, str] | None = None,
    tag: str | None = None,
    prepare: Callable[[Path, Registry], None] | None = None,
    host: str = "",
    branch: str | None = None,
    change: Callable[[Path], None] | None = None,
    expected: list[str] | tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    wrapper: list[str] | None = None,
) -> PipelineRun:
    """Run a pipeline (an Example, or a .gitlab-ci.yml file) and return what happened.

    `jobs` limits the run to those jobs and what they need; `variables` are CI/CD variables of the
    project; `prepare(workdir, registry)` edits the project before its commit; `host` is YAML
    appended to the text (what makes a job fragment a pipeline); `branch` is the branch the pipeline
    runs for, and `change(workdir)` edits the project in a second commit, the one the pipeline runs
    (what `rules:changes` sees); `expected` names the jobs the rules must run (no others, and none is
    a failure for being left out); `wrapper` prefixes the command (e.g. strace). Raises
    PipelineError (message starting with file:line) when the pipeline cannot even be read.
    """
    if isinstance(example_or_path, Example):
        example = example_or_path
        text = example.source
        n_source = len(text.splitlines())

        def where(line: int) -> str:
            return example.where(line - 1) if line <= n_source else f"{example.where(0)} (host pipeline)"

        markers = example.markers
        origin = Path(example.origin)
        base = ROOT / (origin.parent if origin.parts[0] == "snippets" else Path("snippets") / origin.stem)
    else:
        path = Path(example_or_path)
        text = path.read_text()
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path

        def where(line: int) -> str:
            return f"{shown}:{line}"

        markers = {}
        base = path.parent
    if host:
        text = text.rstrip("\n") + "\n\n" + host
    try:
        config = load(text)
    except YAMLProblem as exc:
        raise PipelineError(f"{where(exc.line)}: {exc}") from None
    if not isinstance(config, Map):
        raise PipelineError(f"{where(1)}: a pipeline is a YAML mapping")
    job_lines = jobs_of(config)
    if not job_lines and "include" not in config:
        raise PipelineError(f"{where(1)}: no job to run (a fragment needs a host pipeline from its effect)")
    lines = mark_not_runnable(config, script_lines(config), current().version, current().pinned)
    run_text = _replace_not_runnable(text, config)
    files = included_files(config, base, where)

    tools = ensure_tools()
    repo, n = sandbox.root / "work" / "project", 1
    while repo.exists():  # a second run in the same sandbox gets its own project
        n += 1
        repo = sandbox.root / "work" / f"project-{n}"
    _make_repo(repo, sandbox, registry, run_text, tag, prepare, files, branch, change)

    values = predefined_variables(registry, tag)
    for name in markers.get("variables", "").split():
        values.setdefault(name, f"test-value-of-{name.lower()}")
    values.update(variables or {})
    argv = [
        *(wrapper or []),
        *tools.command(),
        "--home",
        str(sandbox.root / "gitlab-ci-local-home"),
        "--force-shell-executor",
        "--shell-isolation",
        "--no-artifacts-to-source",
        "--no-color",
        "--no-json-schema-validation",  # the YAML checks validate the schema; this saves 0.3 s a run
        "--max-job-name-padding",
        "0",
        "--ignore-predefined-vars",
        ",".join(values),
    ]
    for name, value in values.items():
        argv += ["--variable", f"{name}={value}"]
    if tag or values.get("CI_PIPELINE_SOURCE") == "merge_request_event":
        # "Not available in merge request pipelines or tag pipelines"
        # (https://docs.gitlab.com/ci/variables/predefined_variables/).
        argv += ["--unset-variable", "CI_COMMIT_BRANCH"]
    for name in _manual_jobs(config):
        argv += ["--manual", name]
    if jobs:
        argv += ["--needs", *jobs]
    # Nothing leaves loopback: every proxy variable points at the registry's stand-in for pypi.org,
    # which serves the wheelhouse and refuses every other host (no DNS lookup happens).
    env = {**sandbox.env, **registry.pypi.job_env}
    pythons = image_pythons(config)
    if pythons:
        hook = repo.with_name(repo.name + "-image-python.sh")
        hook.write_text(_image_python_hook(sandbox, pythons))
        env["BASH_ENV"] = str(hook)
    (sandbox.root / "gitlab-ci-local-home").mkdir(exist_ok=True)
    if files:  # jobs from included files, named after their inputs, count at the include line
        first_include = min(line for _, _, line in _include_items(config))
        for name in _listed_jobs(argv, env, repo, where(first_include)):
            job_lines.setdefault(name, first_include)
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # one process group: a timeout stops the jobs too
    )
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, _ = proc.communicate()
    finally:
        _kill_group(proc)  # jobs that outlived gitlab-ci-local (background processes)
    duration = time.monotonic() - start
    run = PipelineRun(
        workdir=repo,
        jobs=_results(repo, out, list(job_lines)),
        returncode=proc.returncode,
        log=out,
        registry=registry,
        sandbox=sandbox,
        variables=values,
        text=run_text,
        lines=lines,
        where=where,
        job_lines=job_lines,
        duration=duration,
        timed_out=timed_out,
        expected=tuple(expected) if expected is not None else None,
    )
    if jobs:  # jobs left out on purpose are not failures
        run.jobs = {
            n: j
            for n, j in run.jobs.items()
            if j.status != "not run" or any(_instance_of(n, w) for w in jobs)
        }
    return run


def _listed_jobs(argv: list[str], env: dict[str, str], repo: Path, at: str) -> list[str]:
    """Every job of the pipeline after includes, as gitlab-ci-local lists it (when: never too)."""
    result = subprocess.run(
        [*argv, "--list-json"], cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    start = result.stdout.find("[")
    if result.returncode != 0 or start < 0:
        output = _tail(result.stdout + result.stderr, 25)
        raise PipelineError(f"{at}: gitlab-ci-local could not read the included files:\n{output}")
    return [job["name"] for job in json.loads(result.stdout[start:])]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

"""What each pipeline example must leave behind, checked after it ran.

One module per docs page (`effects/<page>.py`) registers a check for each pipeline example the page
shows, under the example's id (`str(example)`: the snippet file, or `docs/page.md:LINE` inline):

    from effects import effect

    @effect("snippets/publishing/gitlab-registry.yml", tag="v1.2.3")
    def wheels_are_in_the_registry(run):  # run: harness.runner.PipelineRun
        assert run.registry.files() == ["sample-1.2.3-py3-none-any.whl", ...]

The keyword arguments say how to run the example (see `Effect`). A check is a plain function that
asserts; its assertion message should say what is missing. A pipeline example with no registered
effect fails: exit code 0 alone proves too little.

An example whose rules pick jobs per pipeline type runs once per named scenario, each registered
with its own `scenario=`, way to run and check; `ran=` names the jobs its rules must run (no
others), and the test id is `<example>#<scenario>`:

    @effect("snippets/merge-requests/workflow.yml", scenario="merge-request",
            branch="feature", variables=merge_request_variables(), ran=["test"])
    def tests_run_in_the_merge_request(run): ...

What a check can look at (harness/runner.py, PipelineRun): `run.jobs[name]` with `.status`, `.log`,
`.dir` (the job's own copy of the project, its CI_PROJECT_DIR) and `.artifacts`; `parallel:` jobs
appear once per instance (`"test: [3.11]"`, `"shards: [1/2]"`); `run.cache_dirs()` the saved caches;
`run.registry` (files(), index_url(), authenticated(url)); `run.sandbox.run(...)` to run anything
else (e.g. install from the registry into a fresh venv). Jobs run natively with the uv under test and the
sandbox's Python 3.11; a job whose image names its Python through a variable (`python$PYTHON_VERSION`)
gets that version as `python3` (3.12 and 3.13 are in the sandbox too).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Effect:
    """A check for one example and how to run the example for it."""

    key: str  # str(example)
    check: Callable  # check(run) -> None, raises AssertionError
    tag: str | None = None  # run as a tag pipeline: CI_COMMIT_TAG and a git tag of this name
    variables: dict[str, str] = field(default_factory=dict)  # extra CI/CD variables for the run
    jobs: tuple[str, ...] | None = None  # run only these jobs (and what they need); default: all
    prepare: Callable | None = None  # prepare(workdir: Path, registry) before the commit is made
    host: str = ""  # YAML appended to a `fragment` example to make it a runnable pipeline
    where: str = ""  # module:function, for messages
    scenario: str = ""  # the name of this run, when the example runs more than once
    branch: str | None = None  # the branch the pipeline runs for (default: main)
    change: Callable | None = None  # change(workdir): the commit the pipeline runs, on top of main
    ran: tuple[str, ...] | None = None  # the jobs its rules must run, and no others (default: all)

    @property
    def id(self) -> str:
        """The test id: the example's, with `#scenario` when the example runs more than once."""
        return f"{self.key}#{self.scenario}" if self.scenario else self.key

    def __call__(self, run) -> None:
        self.check(run)


EFFECTS: dict[str, Effect] = {}  # by Effect.id


def effect(
    key: str,
    *,
    tag: str | None = None,
    variables: dict[str, str] | None = None,
    jobs: list[str] | tuple[str, ...] | None = None,
    prepare: Callable | None = None,
    host: str = "",
    scenario: str = "",
    branch: str | None = None,
    change: Callable | None = None,
    ran: list[str] | tuple[str, ...] | None = None,
):
    """Register the decorated function as the effect check of example `key` (or of one scenario)."""

    def register(check: Callable) -> Callable:
        where = f"{check.__module__}.{check.__qualname__}"
        found = Effect(
            key,
            check,
            tag,
            dict(variables or {}),
            tuple(jobs) if jobs else None,
            prepare,
            host,
            where,
            scenario,
            branch,
            change,
            tuple(ran) if ran is not None else None,
        )
        others = [e for e in EFFECTS.values() if e.key == key]
        if found.id in EFFECTS or any(bool(e.scenario) != bool(scenario) for e in others):
            taken = ", ".join(e.where for e in others)
            raise ValueError(
                f"{where}: {found.id} already has an effect check ({taken}); "
                "an example has one check, or one per named scenario"
            )
        EFFECTS[found.id] = found
        return check

    return register


def load() -> dict[str, Effect]:
    """Import every module of this package (each registers its checks) and return the registry."""
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        importlib.import_module(f"{__name__}.{info.name}")
    return EFFECTS


def effects_for(key: str) -> list[Effect]:
    """The checks of example `key`: one, one per scenario, or none."""
    return [e for e in load().values() if e.key == key]


@functools.cache
def macros():
    """docs/macros.py, the one source of UV_VERSION, PYTHON_VERSION and friends."""
    path = Path(__file__).resolve().parents[2] / "docs" / "macros.py"
    spec = importlib.util.spec_from_file_location("docs_macros", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

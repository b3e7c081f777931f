"""Every pipeline the site shows runs for real, every job passes, and its effect is there.

A pipeline example is a YAML block titled `.gitlab-ci.yml` or marked `fragment` (a fragment runs
inside the host pipeline its effect gives). Each runs with gitlab-ci-local's shell executor in a
sandbox repository holding the sample project, against a local GitLab-style registry (see
harness/runner.py; `image:` is ignored: jobs run with the pinned uv natively). Blocks marked
`unsafe` or `reproduces` show failures on purpose and are checked elsewhere. An example whose
effect checks name scenarios (a branch push, a merge request, a tag...) runs once per scenario, with
the test id `<example>#<scenario>`, and its rules must run the jobs the scenario names.
"""

from __future__ import annotations

import effects
import pytest
from harness.collect import Example, examples
from harness.gitlab import Map, YAMLProblem, load
from harness.kinds import is_pipeline
from harness.runner import PipelineError, run_pipeline
from harness.script_lines import script_lines


def shown_lines(example: Example):
    try:
        config = load(example.source)
    except YAMLProblem:
        return []  # the YAML checks report it
    return script_lines(config) if isinstance(config, Map) else []


def pipelines() -> list[Example]:
    """Pipeline examples, each once (a snippet may be included on more than one page)."""
    found: dict[tuple[str, str], Example] = {}
    for example in examples():
        if is_pipeline(example):
            found.setdefault((str(example), example.source), example)
    return list(found.values())


PIPELINES = pipelines()


def runs() -> list:
    """One run per pipeline example, or one per scenario its effect checks name."""
    params = []
    for example in PIPELINES:
        found = effects.effects_for(str(example)) if "not-runnable" not in example.markers else []
        for effect in found or [None]:
            params.append(pytest.param(example, effect, id=effect.id if effect else str(example)))
    return params


@pytest.mark.parametrize(("example", "effect"), runs())
def test_pipeline_runs(example, effect, sandbox, registry, gitlab_ci_local, record_property):
    record_property("check", "pipeline")
    record_property("example", str(example))
    if "not-runnable" in example.markers:
        # Its lines count as shown and not run (the summary counts them if it counts skipped blocks).
        lines = shown_lines(example)
        reason = example.markers.get("reason", "")
        record_property("script_lines", (0, len(lines)))
        record_property("not_runnable", [(example.where(s.line - 1), reason) for s in lines])
        pytest.skip(f"{example.where(0)}: not runnable: {example.markers.get('reason')}")
    if effect is None:
        page = example.page.split("/")[-1].removesuffix(".md").replace("-", "_")
        pytest.fail(
            f"{example.where(0)}: no effect check for {example}: exit code 0 proves too little; "
            f"register one with @effect({str(example)!r}) in tests/effects/{page}.py",
            pytrace=False,
        )
    try:
        run = run_pipeline(
            example,
            sandbox,
            registry,
            jobs=effect.jobs,
            variables=effect.variables,
            tag=effect.tag,
            prepare=effect.prepare,
            host=effect.host,
            branch=effect.branch,
            change=effect.change,
            expected=effect.ran,
        )
    except PipelineError as exc:
        pytest.fail(str(exc), pytrace=False)
    record_property("script_lines", run.script_lines)
    if effect.scenario:  # the summary counts the example's lines once, run if any scenario ran them
        record_property("scenario", effect.scenario)
        record_property("lines_run", run.lines_run)
    record_property("not_runnable", run.not_runnable)
    record_property("seconds", round(run.duration, 2))
    if not run.ok:
        pytest.fail(run.failure(), pytrace=False)
    try:
        effect(run)
    except AssertionError as exc:
        scenario = f" ({effect.scenario})" if effect.scenario else ""
        pytest.fail(
            f"{example.where(0)}: the pipeline{scenario} passed but {effect.where} failed: {exc}",
            pytrace=False,
        )


def test_every_effect_belongs_to_a_pipeline(record_property):
    """An effect registered for an id no pipeline has is stale (renamed or removed snippet)."""
    record_property("check", "effects")
    known = {str(e) for e in PIPELINES}
    stale = sorted(f"{e.where}: {e.id}" for e in effects.load().values() if e.key not in known)
    assert not stale, "effect checks for examples that are not pipelines on the site:\n" + "\n".join(stale)

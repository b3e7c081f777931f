"""Effects of the pipelines on docs/reusable-ci.md: shared settings, a template with inputs, and
the same template as a CI/CD component of the project itself.

The included template runs from snippets/reusable-ci/templates/uv-test.yml, copied into the run's
repository by the runner as GitLab would read it from the project.
"""

from __future__ import annotations

import yaml

from effects import effect
from effects._common import ROOT, log_of, sample_dists
from harness.uv_under_test import current

TEMPLATE = ROOT / "snippets" / "reusable-ci" / "templates" / "uv-test.yml"


def _tests_ran_on(run, job: str, python: str) -> None:
    log = log_of(run, job)
    assert f"Using CPython {python}" in log, f"{job} did not create its environment with Python {python}"
    assert "Ran 2 tests" in log, f"{job} did not run the sample's two tests"
    assert "Pruning cache at: .uv-cache" in log, f"{job} did not prune the cache in after_script"


def _template_defaults_to_the_pin() -> None:
    """The runner runs the pinned uv whatever the image tag says: the template must name that uv."""
    spec = next(yaml.safe_load_all(TEMPLATE.read_text()))["spec"]["inputs"]
    pin = current().pinned
    default = spec["uv-version"]["default"]
    assert default == pin, f"{TEMPLATE.name}: uv-version defaults to uv {default}, not the pinned {pin}"


@effect("snippets/reusable-ci/extends.yml")
def jobs_share_the_template_and_replace_its_lists(run):
    # test: .uv's before_script through !reference, then its own line activating .venv.
    test = log_of(run, "test")
    assert "$ uv sync --locked" in test, "test did not run .uv's before_script"
    assert "$ . .venv/bin/activate" in test, "test did not add its own before_script line"
    assert "Ran 2 tests" in test, "python -m unittest did not find the project in the active .venv"
    assert "Pruning cache at: .uv-cache" in test, "test did not inherit .uv's after_script"
    # build: its empty before_script replaced .uv's, so it built without syncing.
    build = log_of(run, "build")
    assert "uv sync" not in build, "build ran .uv's before_script although its own list is empty"
    dist = run.jobs["build"].artifacts / "dist"
    built = sorted(p.name for p in dist.iterdir() if not p.name.startswith("."))
    assert built == sample_dists("0.1.0"), f"build kept {built} in dist/"


@effect("snippets/reusable-ci/include-local.yml")
def one_template_gives_a_job_per_python(run):
    _template_defaults_to_the_pin()
    assert sorted(run.jobs) == ["test-python3.12", "test-python3.13"], f"jobs: {sorted(run.jobs)}"
    _tests_ran_on(run, "test-python3.12", "3.12")
    _tests_ran_on(run, "test-python3.13", "3.13")


@effect("snippets/reusable-ci/component-test.yml")
def the_component_runs_from_its_own_project(run):
    assert sorted(run.jobs) == ["test-python3.13"], f"jobs: {sorted(run.jobs)}"
    _tests_ran_on(run, "test-python3.13", "3.13")

"""Effects of the pipelines on docs/images.md."""

from __future__ import annotations

from effects import effect
from effects._common import imports, job_dir, log_of, venv_python_version


@effect("snippets/images/git-image.yml")
def git_is_there_and_the_tests_pass(run):
    log = log_of(run, "test")
    assert "git version" in log, "`git --version` printed no version"
    assert "Ran 2 tests" in log


@effect("snippets/images/managed-python.yml")
def the_project_runs_on_the_python_it_asked_for(run):
    assert venv_python_version(run, "test") == "3.13", "the job's .venv is not Python 3.13 (`--python 3.13`)"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"
    assert "Ran 2 tests" in log_of(run, "test"), "unittest did not run the sample's two tests"


@effect("snippets/images/pip-install-uv.yml")
def the_pip_installed_uv_syncs_and_tests(run):
    assert "Ran 2 tests" in log_of(run, "test"), "unittest did not run the sample's two tests"
    venv = job_dir(run, "test") / ".venv/bin/python"
    assert imports(run, venv, "sample"), "uv sync left no .venv with the project"

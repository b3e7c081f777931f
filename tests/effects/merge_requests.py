"""Effects of the pipelines on docs/merge-requests.md: which jobs each kind of pipeline runs.

Each example runs once per scenario: a push to a branch (with and without an open merge request),
a merge request pipeline, a tag and a push to the default branch. `ran=` is what the page says the
rules select; the runner fails the scenario when the rules run other jobs.
"""

from __future__ import annotations

from pathlib import Path

from effects import effect
from effects._common import log_of
from harness.registry import PROJECT_PATH
from harness.runner import merge_request_variables

WORKFLOW = "snippets/merge-requests/workflow.yml"
DEPENDENCIES = "snippets/merge-requests/dependency-changes.yml"

# A branch pipeline while merge request !1 is open for the branch: GitLab lists it here
# (https://docs.gitlab.com/ci/variables/predefined_variables/).
OPEN_MERGE_REQUEST = {"CI_OPEN_MERGE_REQUESTS": f"{PROJECT_PATH}!1"}


def _tests_ran(run, job: str = "test") -> None:
    assert "Ran 2 tests" in log_of(run, job), f"{job} did not run the sample's two tests"


def _edit_code(workdir: Path) -> None:
    with (workdir / "src" / "sample" / "__init__.py").open("a") as source:
        source.write("# A change to the code only.\n")


def _edit_member_pyproject(workdir: Path) -> None:
    """A change to a workspace member's pyproject.toml that leaves uv.lock valid."""
    pyproject = workdir / "packages" / "sample-lib" / "pyproject.toml"
    text = pyproject.read_text()
    assert 'description = "' in text
    pyproject.write_text(text.replace('description = "', 'description = "Small ', 1))


@effect(WORKFLOW, scenario="branch", branch="feature", change=_edit_code, ran=["test"])
def a_branch_without_merge_request_gets_a_branch_pipeline(run):
    assert run.created
    _tests_ran(run)


@effect(
    WORKFLOW,
    scenario="branch-with-open-merge-request",
    branch="feature",
    change=_edit_code,
    variables=OPEN_MERGE_REQUEST,
    ran=[],
)
def a_branch_with_a_merge_request_gets_no_branch_pipeline(run):
    assert not run.created, "workflow:rules created a branch pipeline next to the merge request's"


@effect(
    WORKFLOW,
    scenario="merge-request",
    branch="feature",
    change=_edit_code,
    variables=merge_request_variables("feature"),
    ran=["test"],
)
def a_merge_request_gets_a_merge_request_pipeline(run):
    _tests_ran(run)


@effect(WORKFLOW, scenario="tag", tag="v0.1.0", ran=["test"])
def a_tag_gets_a_tag_pipeline(run):
    _tests_ran(run)


@effect(
    DEPENDENCIES,
    scenario="merge-request-changing-code",
    branch="feature",
    change=_edit_code,
    variables=merge_request_variables("feature"),
    ran=["test"],
)
def code_changes_test_one_python(run):
    _tests_ran(run)


@effect(
    DEPENDENCIES,
    scenario="merge-request-changing-dependencies",
    branch="feature",
    change=_edit_member_pyproject,
    variables=merge_request_variables("feature"),
    ran=["test", "test-other-pythons"],
)
def dependency_changes_test_every_python(run):
    assert sorted(run.jobs) == ["test", "test-other-pythons: [3.11]", "test-other-pythons: [3.13]"]
    pythons = {"test": "3.12", "test-other-pythons: [3.11]": "3.11", "test-other-pythons: [3.13]": "3.13"}
    for name, version in pythons.items():
        _tests_ran(run, name)
        assert f"Using CPython {version}" in log_of(run, name), f"{name} did not use Python {version}"


@effect(DEPENDENCIES, scenario="default-branch", change=_edit_code, ran=["test", "test-other-pythons"])
def the_default_branch_tests_every_python(run):
    for name in ("test", "test-other-pythons: [3.11]", "test-other-pythons: [3.13]"):
        _tests_ran(run, name)


@effect(DEPENDENCIES, scenario="branch", branch="feature", change=_edit_member_pyproject, ran=["test"])
def a_branch_pipeline_tests_one_python(run):
    _tests_ran(run)

"""The runner catches what only running catches, on deliberately broken pipelines.

Each broken pipeline in tests/fixtures/pipelines/ fails with the file:line of its job and the
job's own error; its working twin passes, so the failure comes from the break, not the setup.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from harness.collect import ROOT
from harness.runner import PipelineError, merge_request_variables, run_pipeline
from harness.uv_under_test import copy_project

PIPELINES = ROOT / "tests" / "fixtures" / "pipelines"


def pipeline(name: str) -> Path:
    return PIPELINES / f"{name}.yml"


def where(name: str, text: str) -> str:
    """`tests/fixtures/pipelines/<name>.yml:<line>` of the line holding `text`."""
    lines = pipeline(name).read_text().splitlines()
    line = next(i for i, line in enumerate(lines, 1) if text in line)
    return f"tests/fixtures/pipelines/{name}.yml:{line}"


@pytest.fixture
def sample_wheels(sandbox) -> list[Path]:
    """The sample project's distributions, built offline by the uv under test."""
    project, out = sandbox.root / "sample-copy", sandbox.root / "dists"
    copy_project(ROOT / "tests" / "fixtures" / "sample-project", project)
    result = sandbox.run(["uv", "build", "--all-packages", "--out-dir", str(out)], cwd=project)
    assert result.returncode == 0, result.stderr
    return sorted(out.iterdir())


@pytest.fixture(autouse=True)
def _report(record_property, gitlab_ci_local):
    record_property("check", "runner")


def test_publish_pipeline_runs_with_its_effects(sandbox, registry):
    run = run_pipeline(pipeline("publish"), sandbox, registry, tag="v1.2.3")
    assert run.ok, run.failure()
    assert {n: j.status for n, j in run.jobs.items()} == {
        "unit-tests": "passed",
        "build": "passed",
        "publish": "passed",
    }
    # The version came from the tag, and the wheels are in the project's registry.
    assert registry.files() == [
        "sample-1.2.3-py3-none-any.whl",
        "sample-1.2.3.tar.gz",
        "sample_lib-0.1.0-py3-none-any.whl",
        "sample_lib-0.1.0.tar.gz",
    ]
    # The cache job left its pruned cache (after_script ran where script did).
    (cache,) = run.cache_dirs()
    assert (cache / ".uv-cache").is_dir()
    assert "Pruning cache at: .uv-cache" in run.jobs["unit-tests"].log
    assert not list((cache / ".uv-cache").glob("wheels-v*/index")), (
        "prune --ci keeps no pre-built wheel index"
    )
    # The glab line could not run; it is reported with its place and reason, the rest ran.
    assert run.not_runnable == [
        (where("publish", "glab release"), "glab calls the API of a real GitLab server")
    ]
    assert run.script_lines == (6, 7)


def test_published_wheels_install_from_the_index(sandbox, registry):
    run = run_pipeline(pipeline("publish"), sandbox, registry, tag="v1.2.3")
    assert run.ok, run.failure()
    venv = sandbox.root / "fresh"
    result = registry.install_fresh(sandbox, venv, "sample")
    assert result.returncode == 0, result.stderr
    out = sandbox.run([str(venv / "bin" / "python"), "-c", "import sample; print(sample.greet('ci'))"])
    assert out.stdout.strip() == "HELLO, CI!"


def test_misspelt_uv_flag_fails_at_its_job(sandbox, registry):
    run = run_pipeline(pipeline("misspelt-flag"), sandbox, registry)
    assert not run.ok
    message = run.failure()
    assert message.startswith(where("misspelt-flag", "build:") + ": job 'build' failed"), message
    assert "unexpected argument '--all-pakages'" in message


def test_wrong_publish_username_is_refused(sandbox, registry):
    run = run_pipeline(pipeline("wrong-username"), sandbox, registry)
    assert not run.ok
    assert "401 Unauthorized" in run.jobs["publish"].log
    assert registry.files() == []


def test_install_needs_the_simple_suffix(sandbox, registry, sample_wheels):
    for dist in sample_wheels:
        registry.add_package(dist)
    good = run_pipeline(pipeline("install"), sandbox, registry)
    assert good.ok, good.failure()
    assert "+ sample==0.1.0" in good.jobs["install"].log
    bad = run_pipeline(pipeline("index-without-simple"), sandbox, registry)
    assert not bad.ok
    assert "sample was not found in the package registry" in bad.jobs["install"].log


def test_stale_lock_fails_uv_sync_locked(sandbox, registry):
    def bump_version(workdir: Path, _registry) -> None:
        pyproject = workdir / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"', 1))

    fresh = run_pipeline(pipeline("locked-sync"), sandbox, registry)
    assert fresh.ok, fresh.failure()
    stale = run_pipeline(pipeline("locked-sync"), sandbox, registry, prepare=bump_version)
    assert not stale.ok
    assert "needs to be updated" in stale.jobs["test"].log


def test_undeclared_artifacts_do_not_reach_the_next_job(sandbox, registry):
    """Jobs run in their own copies of the project: dist/ moves only as a declared artifact."""
    run = run_pipeline(pipeline("artifacts-not-declared"), sandbox, registry)
    assert run.jobs["build"].status == "passed"
    assert run.jobs["publish"].status == "failed"
    assert "No files found to publish" in run.jobs["publish"].log


def test_publishing_the_same_version_twice_is_refused(sandbox, registry, sample_wheels):
    for dist in sample_wheels:
        registry.add_package(dist)
    run = run_pipeline(pipeline("publish"), sandbox, registry, tag="v0.1.0")
    assert run.jobs["publish"].status == "failed"
    assert "400 Bad Request" in run.jobs["publish"].log


def test_hung_job_is_stopped_by_the_timeout(sandbox, registry):
    start = time.monotonic()
    run = run_pipeline(pipeline("hang"), sandbox, registry, timeout=4)
    assert time.monotonic() - start < 15
    assert run.timed_out and not run.ok
    assert run.failure().startswith(f"{where('hang', 'Broken')}: pipeline stopped after"), run.failure()
    assert not _processes_under(sandbox.root), "the hung job's processes were left running"


def test_trusted_publishing_line_is_reported_not_runnable(sandbox, registry):
    run = run_pipeline(pipeline("trusted-publishing"), sandbox, registry)
    assert run.ok, run.failure()
    reason = "PyPI trusted publishing needs a GitLab-signed ID token and pypi.org"
    assert run.not_runnable == [(where("trusted-publishing", "uv publish"), reason)]
    assert run.script_lines == (1, 2)
    assert registry.files() == []


def test_fragment_runs_inside_a_host_pipeline(sandbox, registry):
    host = 'job:\n  extends: .uv-job\n  script:\n    - test "$UV_CACHE_DIR" = .uv-cache\n'
    run = run_pipeline(pipeline("fragment"), sandbox, registry, host=host)
    assert run.ok, run.failure()
    assert re.search(r"^uv \d+\.\d+\.\d+", run.jobs["job"].log, re.M)


def test_fragment_without_a_job_is_refused(sandbox, registry):
    with pytest.raises(PipelineError, match=r"^tests/fixtures/pipelines/fragment\.yml:1: no job to run"):
        run_pipeline(pipeline("fragment"), sandbox, registry)


def test_unreadable_yaml_names_its_line(sandbox, registry, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("job:\n  script:\n    - uv --version\n  script:\n    - uv --help\n")
    with pytest.raises(PipelineError, match=r"bad\.yml:4: .*duplicate key 'script'"):
        run_pipeline(bad, sandbox, registry)


def _processes_under(root: Path) -> list[int]:
    """Processes whose environment mentions `root` (everything a pipeline starts inherits it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if str(root).encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_parallel_jobs_are_reported_per_instance(sandbox, registry):
    run = run_pipeline(pipeline("matrix"), sandbox, registry)
    assert run.ok, run.failure()
    # gitlab-ci-local names `parallel: 2` instances `shards: [1/2]` (GitLab: `shards 1/2`).
    assert sorted(run.jobs) == ["shards: [1/2]", "shards: [2/2]", "test: [plain]", "test: [spicy]"]
    assert "flavour spicy" in run.jobs["test: [spicy]"].log
    assert "shard 2 of 2" in run.jobs["shards: [2/2]"].log
    assert run.script_lines == (2, 2)


def test_a_job_with_an_image_gets_its_own_directory_as_ci_project_dir(sandbox, registry):
    """gitlab-ci-local would say /builds/... (outside the sandbox); tools.py patches that."""
    run = run_pipeline(pipeline("image-project-dir"), sandbox, registry)
    assert run.ok, run.failure()
    assert (run.jobs["job"].dir / "marker").is_file()


def test_included_local_files_run_from_the_example_directory(sandbox, registry):
    """`include: local` resolves against the pipeline's directory, nested includes too."""
    run = run_pipeline(pipeline("include-local"), sandbox, registry)
    assert run.ok, run.failure()
    assert list(run.jobs) == ["greet-reader"]  # named after its input
    assert "Hello, reader" in run.jobs["greet-reader"].log
    assert (run.workdir / "templates" / "greeting.yml").is_file()


def test_missing_local_include_names_its_line(sandbox, registry):
    with pytest.raises(
        PipelineError, match=r"^tests/fixtures/pipelines/include-missing\.yml:3: include:local 'templates/"
    ):
        run_pipeline(pipeline("include-missing"), sandbox, registry)


def test_missing_nested_include_names_the_including_file(sandbox, registry):
    with pytest.raises(
        PipelineError, match=r"^tests/fixtures/pipelines/templates/includes-missing\.yml:2: include:local "
    ):
        run_pipeline(pipeline("include-nested-missing"), sandbox, registry)


def _edit_readme(workdir: Path) -> None:
    with (workdir / "README.md").open("a") as readme:
        readme.write("\nA change.\n")


def test_merge_request_pipeline_has_its_variables(sandbox, registry):
    run = run_pipeline(
        pipeline("workflow"),
        sandbox,
        registry,
        branch="feature",
        variables=merge_request_variables("feature"),
        expected=["report"],
    )
    assert run.ok, run.failure()
    # No CI_COMMIT_BRANCH in a merge request pipeline; the ref is the source branch.
    assert "source=merge_request_event branch=unset ref=feature mr=1" in run.jobs["report"].log
    assert run.jobs["readme-changed"].status == "not run"


def test_workflow_rules_can_refuse_the_pipeline(sandbox, registry):
    run = run_pipeline(
        pipeline("workflow"),
        sandbox,
        registry,
        branch="feature",
        variables={"CI_OPEN_MERGE_REQUESTS": "group/project!1"},
        expected=[],
    )
    assert run.ok, run.failure()
    assert not run.created
    assert all(j.status == "not run" for j in run.jobs.values())


def test_rules_changes_see_the_pipeline_commit(sandbox, registry):
    run = run_pipeline(
        pipeline("workflow"),
        sandbox,
        registry,
        branch="feature",
        change=_edit_readme,
        expected=["report", "readme-changed"],
    )
    assert run.ok, run.failure()
    assert "source=push branch=feature ref=feature" in run.jobs["report"].log


def test_rules_that_select_other_jobs_fail_at_the_pipeline(sandbox, registry):
    run = run_pipeline(
        pipeline("workflow"), sandbox, registry, branch="feature", expected=["report", "readme-changed"]
    )
    assert not run.ok
    message = run.failure()
    expected = "the rules ran report; expected report, readme-changed"
    assert message.startswith(f"tests/fixtures/pipelines/workflow.yml:1: {expected}"), message

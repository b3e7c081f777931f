"""Effects of the pipeline on docs/pages.md: this project's own pipeline.

The run's repository holds this project's files instead of the sample project. The `checks` job,
which runs this very suite, never runs here.

- push: only the `pages` job runs (`checks` is left out by name); it must leave the built site as its
  artifact, `public/index.html` and a page for every page in mkdocs.yml's nav.
- schedule: the rules run the `drift` job and nothing else. It runs `bash .ci/run --uv latest` for
  real, with three differences from
  GitLab, each because of this sandbox and none hidden:
  * The pin stands in for `latest`: the sandbox has no PyPI to ask which uv release is the newest
    (its stand-in serves a fixed wheelhouse), so GUIDE_UV_LATEST names the pin
    (harness/uv_under_test.py) and the job says so in its log. The report must say "No drift".
  * The stand-in serves the wheelhouse, not the checker's own packages (Playwright and the rest),
    so the job uses this suite's environment (UV_PROJECT_ENVIRONMENT, read-only with UV_NO_SYNC)
    and this checkout's installed tools (`.tools`, a link the copy commits) instead of installing
    them.
  * PYTEST_ADDOPTS narrows the job's run to the version and prose checks, in one process (`-p
    no:xdist`: two workers would cost more to start than these checks take): the whole suite
    inside its own pipeline would run this job again.
  The job must keep drift-report.md as its artifact.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml
from effects import effect
from effects._common import ROOT, log_of
from harness.uv_under_test import ENV_LATEST, current

def _project_files() -> list[str]:
    """This repository's files, as a clone of it has them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _this_project(workdir, registry):
    """The run's repository holds this project instead of the sample (its .gitlab-ci.yml is the
    example, which the runner wrote already)."""
    for entry in workdir.iterdir():
        if entry.name != ".gitlab-ci.yml":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for name in _project_files():
        if name != ".gitlab-ci.yml":
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, workdir / name)


def _this_project_with_its_tools(workdir, registry):
    """This project, and a link to the tools this checkout installed (gitlab-ci-local, the
    wheelhouse), committed so that the job's own copy of the repository has it too."""
    _this_project(workdir, registry)
    (workdir / ".tools").symlink_to(ROOT / ".tools")
    ignore = workdir / ".gitignore"
    ignore.write_text("".join(line for line in ignore.read_text().splitlines(True) if line.strip() != "/.tools"))


# The suite's own environment for the job, and its run narrowed (see the module docstring).
DRIFT_JOB_SETUP = {
    "CI_PIPELINE_SOURCE": "schedule",
    ENV_LATEST: current().pinned,
    "UV_PROJECT_ENVIRONMENT": str(ROOT / ".venv"),
    "UV_NO_SYNC": "1",
    "PYTEST_ADDOPTS": "-p no:xdist tests/test_versions.py tests/test_prose.py",
}


def _nav_pages(nav) -> list[str]:
    found = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        found += _nav_pages(value) if isinstance(value, list) else [value]
    return found


@effect(".gitlab-ci.yml", scenario="push", jobs=["pages"], ran=["pages"], prepare=_this_project)
def the_site_is_the_pages_artifact(run):
    artifacts = run.jobs["pages"].artifacts
    assert artifacts is not None, "the pages job uploaded no artifacts"
    public = artifacts / "public"
    assert (public / "index.html").stat().st_size > 0, "public/index.html is missing or empty"
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    for page in _nav_pages(config["nav"]):
        built = public / ("index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html")
        assert built.is_file(), f"{page} was not built into {built.relative_to(artifacts)}"
    (command,) = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())["pages"]["script"]
    shown = (public / "pages" / "index.html").read_text()
    assert command in shown, f"the Pages page does not show this pipeline's `{command}`"
    # `--only-group site`: the documentation tools, and not the checker's.
    site_packages = list((run.jobs["pages"].dir / ".venv" / "lib").glob("python3.*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site_packages[0].glob("*.dist-info")}
    assert "mkdocs_material" in installed, f"mkdocs-material is not in the job's .venv: {sorted(installed)}"
    assert not installed & {"pytest", "check_jsonschema", "pypiserver"}, (
        f"the job installed the checker's packages too: {sorted(installed & {'pytest', 'check_jsonschema', 'pypiserver'})}"
    )


@effect(
    ".gitlab-ci.yml",
    scenario="schedule",
    ran=["drift"],  # not `checks`, not `pages`: their rules leave scheduled pipelines out
    variables=DRIFT_JOB_SETUP,
    prepare=_this_project_with_its_tools,
)
def a_scheduled_pipeline_checks_the_newest_uv_and_keeps_the_report(run):
    log = log_of(run, "drift")
    pin = current().pinned
    assert f"uv under test: {pin}, which {ENV_LATEST} names as the newest" in log, (
        f"the job did not take `--uv latest` as the pin {pin}"
    )
    artifacts = run.jobs["drift"].artifacts
    assert artifacts is not None, "the drift job kept no artifacts"
    report = (artifacts / "drift-report.md").read_text()
    assert report.startswith(f"# Drift: uv {pin} (`--uv latest`) against the pin, uv {pin}"), report
    assert "No drift" in report, report
    result = re.search(r"^=+ (.*\bpassed\b.*) in [\d.]+s", log, re.MULTILINE)
    assert result and "failed" not in result[1] and "error" not in result[1], log[-2000:]

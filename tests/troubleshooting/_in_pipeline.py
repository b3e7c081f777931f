"""What the effect checks of several fixes share: prepare hooks that put the page's package where a
pipeline meets it, and readings of a finished run.

Each fix runs in the situation its section describes: `prepare` sets up what the job meets (a
registry with my-package in it, a marked Python, a GitLab with a private CA, a Git server) and host
jobs complete fragments that are only `variables:`. Where the page quotes the fixed job's output,
the check compares the log with the block as the page shows it (harness/quoted.py wildcards).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from effects._common import ROOT, log_of, run_uv
from harness.uv_under_test import copy_project, current

from troubleshooting._in_sandbox import MY_PACKAGE, at_host

SNIPPETS = ROOT / "snippets" / "troubleshooting"
# What `uv build` at the sample workspace's root makes: the root package only.
SAMPLE_FILES = ["sample-0.1.0-py3-none-any.whl", "sample-0.1.0.tar.gz"]
UV_LINE = re.compile(r"^uv (\S+)", re.MULTILINE)


def uv_versions(log: str) -> list[str]:
    """Versions in the `uv X.Y.Z` lines a job printed."""
    return UV_LINE.findall(log)


def tag_version(run) -> str:
    """The uv version the image tag of the pipeline names: a literal, or UV_VERSION's value."""
    tag = re.search(r"uv:(?:\$UV_VERSION|(\d+\.\d+\.\d+))", run.text)
    assert tag, "the pipeline names no uv image"
    return tag[1] or re.search(r'UV_VERSION: "(.+)"', run.text)[1]


def runs_the_uv_its_image_names(run, job: str = "test") -> None:
    """The image tag names the pin, and `job` logged the uv that runs here (the pin, or --uv's)."""
    version = tag_version(run)
    assert version == current().pinned, f"the image tag names uv {version}, not the pin {current().pinned}"
    ran = current().version
    assert uv_versions(log_of(run, job)) == [ran], f"the job did not log uv {ran}"


def refused(run) -> list[tuple[str, str, str]]:
    """Requests the registry refused (401, 403, 404)."""
    return [r for r in run.registry.requests if r[2] in ("401", "403", "404")]


def snippet_toml(name: str, url: str) -> str:
    """snippets/troubleshooting/<name>, pointed at the local server `url`."""
    return at_host((SNIPPETS / name).read_text(), url, f"snippets/troubleshooting/{name}:1")


def depend_on_my_package(workdir: Path, toml: str = "", requirement: str = "my-package", env=None) -> None:
    """The sample project, depending on `requirement` with `toml` (index and sources) added; locked."""
    index, _, sources = toml.partition("[tool.uv.sources]\n")
    pyproject = workdir / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace('dependencies = ["sample-lib"]', f'dependencies = ["sample-lib", "{requirement}"]', 1)
    text = text.replace("[tool.uv.sources]\n", "[tool.uv.sources]\n" + sources.strip() + "\n", 1)
    pyproject.write_text(text.rstrip("\n") + "\n\n" + index)
    result = run_uv(["lock"], workdir, workdir.parent / "prepare-uv", env or {})
    assert result.returncode == 0, f"uv lock of the prepared project failed:\n{result.stderr}"


def build_my_package(where: Path, version: str = "1.0.0") -> list[Path]:
    """tests/fixtures/troubleshooting/my-package at `version`, built with the uv under test."""
    project = copy_project(MY_PACKAGE, where / f"my-package-{version}")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', f'version = "{version}"', 1))
    result = run_uv(["build", "-q"], project, where / "prepare-uv", {})
    assert result.returncode == 0, f"uv build of my-package failed:\n{result.stderr}"
    return sorted((project / "dist").glob("my_package-*"))


def use_my_package(workdir: Path) -> None:
    """Make the repository the page's my-package instead of the sample project."""
    for path in workdir.iterdir():
        if path.name not in (".gitlab-ci.yml", ".gitignore"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    copy_project(MY_PACKAGE, workdir, dirs_exist_ok=True)


def requirements(workdir: Path, *lines: str) -> None:
    """A requirements.txt in the repository, for fixes that install with `uv pip install -r`."""
    (workdir / "requirements.txt").write_text("".join(f"{line}\n" for line in lines))

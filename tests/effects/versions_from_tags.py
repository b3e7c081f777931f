"""Effects of the pipelines on docs/versions-from-tags.md: versions computed from Git tags.

The sample project gets the page's hatch-vcs `[build-system]` and `dynamic = ["version"]` before
its commit (and is locked again, as a reader would). The tag pipeline must name the distributions
after the tag, with each of the three backends the page shows; the branch pipeline with
`GIT_DEPTH: "0"` must number a build 21 commits after the last tag from it, and the same build in
the shallow clone GitLab makes by default (20 commits) must not find the tag.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from effects import effect
from effects._common import ROOT, job_dir, run_uv

SNIPPETS = ROOT / "snippets" / "versions-from-tags"
BACKENDS = ("hatch-vcs.toml", "setuptools-scm.toml", "uv-dynamic-versioning.toml")
# What the lock is made with: uv.lock records no version for a project whose version is dynamic.
# Commits between the tag and the pipeline's commit: one more than GitLab's default clone depth (20).
AFTER_TAG = 21
PRETEND = {"SETUPTOOLS_SCM_PRETEND_VERSION": "0.0", "UV_DYNAMIC_VERSIONING_BYPASS": "0.0"}


def _use_backend(project: Path, fragment: str) -> None:
    """The project's version from Git tags: `dynamic = ["version"]` and the page's build backend."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    head, marker, _ = text.partition("[build-system]\n")
    assert marker, f"{pyproject}: no [build-system] table"
    head = re.sub(r'^version = ".*"$', 'dynamic = ["version"]', head, count=1, flags=re.M)
    pyproject.write_text(head + (SNIPPETS / fragment).read_text())


def _git(cwd: Path, *args: str) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Release Manager",
        "GIT_AUTHOR_EMAIL": "release@example.invalid",
        "GIT_COMMITTER_NAME": "Release Manager",
        "GIT_COMMITTER_EMAIL": "release@example.invalid",
    }
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout.strip()


def _lock(project: Path) -> None:
    result = run_uv(["lock"], project, project.parent / "prepare-uv", PRETEND)
    assert result.returncode == 0, f"uv lock of the project with a dynamic version failed:\n{result.stderr}"


def _build(project: Path, out: Path) -> list[str]:
    result = run_uv(["build", "--all-packages", "--out-dir", str(out)], project, project.parent / "build-uv", {})
    assert result.returncode == 0, f"uv build in {project} failed:\n{result.stderr}"
    return sorted(p.name for p in out.glob("sample-*"))


def _tagged_project(workdir, registry):
    _use_backend(workdir, "hatch-vcs.toml")
    _lock(workdir)


def _released_then_changed(workdir, registry):
    """v1.2.3 tagged 21 commits before the pipeline's commit: more than GitLab's default depth."""
    _use_backend(workdir, "hatch-vcs.toml")
    _lock(workdir)
    _git(workdir, "init", "-q", "-b", "main")
    _git(workdir, "add", "-A")
    _git(workdir, "commit", "-q", "-m", "release 1.2.3")
    _git(workdir, "tag", "v1.2.3")
    for n in range(1, AFTER_TAG + 1):
        with open(workdir / "README.md", "a") as readme:
            readme.write(f"\nChange {n} after the release.\n")
        if n < AFTER_TAG:  # the last one is the pipeline's own commit
            _git(workdir, "commit", "-q", "-am", f"change {n}")


@effect("snippets/versions-from-tags/build-on-tags.yml", tag="v1.2.3", prepare=_tagged_project)
def distributions_are_named_after_the_tag(run):
    dist = run.jobs["build"].artifacts / "dist"
    built = sorted(p.name for p in dist.glob("sample-*"))
    assert built == ["sample-1.2.3-py3-none-any.whl", "sample-1.2.3.tar.gz"], f"dist/ holds {built}"
    directory = job_dir(run, "build")
    # The tag leaves uv.lock up to date: it records no version for the project.
    check = run_uv(["lock", "--check"], directory, directory.parent / "check-uv", {})
    assert check.returncode == 0, f"uv lock --check fails after the tag:\n{check.stderr}"
    # The two other backends the page shows read the same tag.
    for fragment in BACKENDS[1:]:
        other = run.workdir.parent / fragment.removesuffix(".toml")
        shutil.copytree(directory, other, ignore=shutil.ignore_patterns("dist", ".venv"))
        _use_backend(other, fragment)
        _git(other, "commit", "-q", "-am", f"use {fragment}")
        _git(other, "tag", "-f", "v1.2.3")
        built = _build(other, other.parent / f"{other.name}-dist")
        assert built == ["sample-1.2.3-py3-none-any.whl", "sample-1.2.3.tar.gz"], f"{fragment} built {built}"


@effect("snippets/versions-from-tags/dev-versions.yml", prepare=_released_then_changed)
def a_build_after_the_tag_counts_from_it(run):
    sha = _git(run.workdir, "rev-parse", "--short=9", "HEAD")
    dist = run.jobs["build"].artifacts / "dist"
    built = sorted(p.name for p in dist.glob("sample-*"))
    wheel = f"sample-1.2.4.dev{AFTER_TAG}+g{sha}-py3-none-any.whl"
    assert wheel in built, f"dist/ holds {built}, not {wheel}"
    # What GitLab Runner fetches for a branch job at the default depth of 20
    # (docs.gitlab.com/ci/pipelines/settings/#limit-the-number-of-changes-fetched-during-clone;
    # gitlab-org/gitlab-runner, shells/abstract.go, writeFetchCmd): the branch's last 20 commits
    # and the tags git follows into them, which excludes a tag 21 commits back.
    shallow = run.workdir.parent / "shallow-clone"
    shallow.mkdir()
    _git(shallow, "init", "-q")
    _git(shallow, "remote", "add", "origin", f"file://{run.workdir}")
    _git(shallow, "fetch", "-q", "--depth", "20", "origin", "--prune", "+refs/heads/main:refs/remotes/origin/main")
    _git(shallow, "checkout", "-q", "-f", sha)
    assert _git(shallow, "tag") == "", "the shallow clone has the tag"
    without_tag = _build(shallow, shallow.parent / "shallow-dist")
    assert not any(name.startswith("sample-1.2.") for name in without_tag), (
        f"a shallow clone without the tag built {without_tag}: GIT_DEPTH would not matter"
    )

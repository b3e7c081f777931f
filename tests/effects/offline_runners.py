"""Effects of the pipelines on docs/offline-runners.md.

The local registry's public index (`/public/simple`) stands in for the reader's PyPI mirror. It
serves the sample's own sample-lib, built into a wheel: a dependency that only the mirror has.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from effects import effect
from effects._common import ROOT, imports, job_dir, log_of, run_uv

TOML = ROOT / "snippets" / "offline-runners" / "pyproject-mirror.toml"
PLACEHOLDER_MIRROR = "https://pypi-mirror.example.com/simple"
# GitLab expands variable references in a CI/CD variable's value ("Expand variable reference",
# docs.gitlab.com/ci/variables/#prevent-cicd-variable-expansion): the mirror is the local registry.
MIRROR = {"UV_DEFAULT_INDEX": "${CI_SERVER_URL}/public/simple"}
WHEEL = "sample_lib-0.1.0-py3-none-any.whl"


def publish_to_mirror(workdir: Path, registry) -> None:
    """Build sample-lib's wheel and put it on the mirror."""
    out = workdir.parent / "mirror-files"
    result = run_uv(["build", "--package", "sample-lib", "--wheel", "--out-dir", str(out)], workdir, workdir.parent / "prepare-uv", {})
    assert result.returncode == 0, f"uv build sample-lib failed:\n{result.stderr}"
    registry.add_public_package(out / WHEEL)


def as_single_project(workdir: Path) -> None:
    """The sample without its workspace: sample-lib becomes an ordinary dependency from an index."""
    lines, skipping = [], False
    for line in (workdir / "pyproject.toml").read_text().splitlines():
        if line.startswith("["):
            skipping = line.strip() == "[tool.uv.workspace]"
        if not skipping and line.strip() != "sample-lib = { workspace = true }":
            lines.append(line)
    (workdir / "pyproject.toml").write_text("\n".join(lines) + "\n")
    shutil.rmtree(workdir / "packages")


def lock(workdir: Path, registry, credentials: bool = False) -> None:
    """uv lock against the mirror (and the job token for a GitLab index, as a developer would)."""
    env = {"UV_DEFAULT_INDEX": registry.public_index_url}
    if credentials:
        env |= {"UV_INDEX_GITLAB_USERNAME": registry.job_token_user, "UV_INDEX_GITLAB_PASSWORD": registry.job_token}
    result = run_uv(["lock"], workdir, workdir.parent / "prepare-uv", env)
    assert result.returncode == 0, f"uv lock against the mirror failed:\n{result.stderr}"


def _mirror_as_default_index(workdir, registry):
    """The sample as a project whose dependency comes from the mirror, declared as the page shows."""
    publish_to_mirror(workdir, registry)
    as_single_project(workdir)
    text = TOML.read_text()
    assert PLACEHOLDER_MIRROR in text, f"{TOML.relative_to(ROOT)}: the mirror URL is no longer {PLACEHOLDER_MIRROR}"
    pyproject = workdir / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + text.replace(PLACEHOLDER_MIRROR, registry.public_index_url))
    lock(workdir, registry)


def _requirements(workdir, registry):
    publish_to_mirror(workdir, registry)
    (workdir / "requirements.txt").write_text("sample-lib\n")


def _asked(run, pattern: str) -> list[tuple[str, str, str]]:
    return [r for r in run.registry.requests if re.fullmatch(pattern, r[1])]


def _only_the_mirror_was_asked(run) -> None:
    others = [r for r in run.registry.requests if not r[1].startswith("/public/")]
    assert not others, f"requests outside the mirror: {others}"


@effect("snippets/offline-runners/sync-from-mirror.yml", prepare=_mirror_as_default_index)
def the_dependency_came_from_the_mirror(run):
    assert "Ran 2 tests" in log_of(run, "test"), "the tests did not run"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample_lib"), "sample-lib is not in .venv"
    assert _asked(run, rf"/public/packages/{WHEEL}"), "the wheel was not downloaded from the mirror"
    _only_the_mirror_was_asked(run)


@effect("snippets/offline-runners/mirror-for-every-job.yml", variables=MIRROR, prepare=_requirements)
def the_variable_sent_uv_pip_to_the_mirror(run):
    assert imports(run, job_dir(run, "smoke-test") / ".venv/bin/python", "sample_lib"), "sample-lib is not in .venv"
    assert _asked(run, r"/public/simple/sample-lib/?"), "uv pip did not look sample-lib up on the mirror"
    _only_the_mirror_was_asked(run)


@effect("snippets/offline-runners/offline-from-cache.yml", variables=MIRROR, prepare=_requirements)
def the_offline_job_asked_nothing(run):
    for job in ("fill-cache", "test"):
        assert imports(run, job_dir(run, job) / ".venv/bin/python", "sample_lib"), f"sample-lib is not in {job}'s .venv"
    # fill-cache asked the mirror for the page and downloaded the wheel (a range request for its
    # metadata first); test, with UV_OFFLINE, installed from the cache it restored and asked nothing.
    # Online it would ask for the page again, cache or not.
    pages = _asked(run, r"/public/simple/sample-lib/?")
    downloads = [r for r in _asked(run, rf"/public/packages/{WHEEL}") if r[0] == "GET" and r[2] == "200"]
    assert (len(pages), len(downloads)) == (1, 1), (
        f"the mirror was asked {len(pages)} times for the page and sent the wheel {len(downloads)} times: "
        f"{run.registry.requests}"
    )
    _only_the_mirror_was_asked(run)

"""Effects of the pipelines on docs/environments.md."""

from __future__ import annotations

from pathlib import Path

from effects import effect
from effects._common import (
    cache_keys,
    imports,
    job_dir,
    log_of,
    make_wheel,
    run_uv,
    sandbox_python,
    sandbox_root,
)
from harness.uv_under_test import current

CREATED = "Creating virtual environment at: .venv"


def _pth_targets(venv: Path) -> set[str]:
    """The directories the editable installs in a .venv point at (their .pth files)."""
    return {
        line.strip()
        for pth in venv.glob("lib/python3*/site-packages/*.pth")
        for line in pth.read_text().splitlines()
        if line.strip().startswith("/")
    }


@effect("snippets/environments/cache-venv.yml")
def the_test_job_reuses_the_cached_venv_and_leaves_the_cache_as_it_was(run):
    assert CREATED in log_of(run, "environment"), "the environment job did not create the .venv"
    test_log = log_of(run, "test")
    assert CREATED not in test_log, "the test job made a new .venv instead of reusing the cached one"
    assert "Ran 2 tests" in test_log, "unittest did not run the sample's two tests"
    prefix = f"venv-{current().pinned}-python3.12-"
    assert any(k.startswith(prefix) for k in cache_keys(run)), f"no cache key starts with {prefix}"
    cached = [c / ".venv" for c in run.cache_dirs() if (c / ".venv").is_dir()]
    assert len(cached) == 1, f"expected one saved .venv, found {len(cached)}"
    # gitlab-ci-local builds each job in its own directory, so the test job re-pointed its copy's
    # editable installs at itself. With `policy: pull` that copy is not uploaded: the saved .venv
    # still points at the environment job's directory.
    saved = _pth_targets(cached[0])
    environment_dir, test_dir = str(job_dir(run, "environment")), str(job_dir(run, "test"))
    assert saved, "the saved .venv has no editable install of the project"
    assert all(t.startswith(environment_dir) for t in saved), f"the test job uploaded its .venv: {saved}"
    assert all(t.startswith(test_dir) for t in _pth_targets(job_dir(run, "test") / ".venv")), (
        "the test job did not bring the restored .venv up to date for its own directory"
    )
    # Relocatable: no script in the saved .venv names the directory it was made in.
    assert "relocatable = true" in (cached[0] / "pyvenv.cfg").read_text(), "the saved .venv is not relocatable"
    scripts = [p for p in (cached[0] / "bin").iterdir() if p.is_file() and p.read_bytes().startswith(b"#!")]
    pinned = [p.name for p in scripts if environment_dir.encode() in p.read_bytes().splitlines()[0]]
    assert scripts and not pinned, f"scripts in the saved .venv name the job's directory: {pinned}"


def _image_package(workdir: Path, registry) -> None:
    """A package the job's image has before the job starts (as pip is in Python images)."""
    root = sandbox_root(workdir)
    wheel = make_wheel(root / "tmp", "image-tool", "1.0", "IMAGE = True\n")
    python = root / "python" / "bin" / "python3"
    result = run_uv(["pip", "install", "--python", str(python), str(wheel)], root, root / "prepare", {})
    assert result.returncode == 0, f"could not preinstall image-tool: {result.stderr}"


@effect("snippets/environments/system-environment.yml", prepare=_image_package)
def the_project_is_in_the_images_python_next_to_what_was_there(run):
    python = sandbox_python(run)
    directory = job_dir(run, "test")
    assert "Ran 2 tests" in log_of(run, "test"), "unittest did not run the sample's two tests"
    assert not (directory / ".venv").exists(), "uv made a .venv although UV_PROJECT_ENVIRONMENT was set"
    assert imports(run, python, "sample") and imports(run, python, "sample_lib"), (
        "the project is not installed in the image's Python"
    )
    assert imports(run, python, "image_tool"), "uv sync --inexact removed a package the image had"
    # Without --inexact, uv sync removes what uv.lock does not list, as the page warns.
    exact = run.sandbox.run(
        ["uv", "sync", "--locked"], cwd=directory, env={"UV_PROJECT_ENVIRONMENT": str(python.parents[1])}
    )
    assert exact.returncode == 0, exact.stderr
    assert "- image-tool==1.0" in exact.stderr, f"uv sync without --inexact kept image-tool:\n{exact.stderr}"
    assert not imports(run, python, "image_tool")

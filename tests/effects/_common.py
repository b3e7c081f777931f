"""Helpers the effect checks of several pages share."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from harness.pypi import start_pypi
from harness.uv_under_test import current
from harness.wheelhouse import ensure_wheelhouse

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_FILES = [
    "sample-{v}-py3-none-any.whl",
    "sample-{v}.tar.gz",
    "sample_lib-{v}-py3-none-any.whl",
    "sample_lib-{v}.tar.gz",
]


def sample_dists(version: str) -> list[str]:
    """The files `uv build --all-packages` makes from the sample workspace at `version`, sorted."""
    return sorted(name.format(v=version) for name in SAMPLE_FILES)


def log_of(run, job: str) -> str:
    assert job in run.jobs, f"no job {job!r} ran (jobs: {', '.join(run.jobs)})"
    return run.jobs[job].log


def job_dir(run, job: str) -> Path:
    directory = run.jobs[job].dir
    assert directory is not None, f"job {job!r} left no working copy"
    return directory


def imports(run, python: Path | str, module: str, cwd: Path | None = None) -> bool:
    """Whether `python` (run in the sandbox) can import `module`."""
    result = run.sandbox.run([str(python), "-c", f"import {module}"], cwd=cwd or run.workdir)
    return result.returncode == 0


def sandbox_python(run) -> Path:
    """The sandbox's non-venv Python: what `--system` / UV_SYSTEM_PYTHON install into."""
    return run.sandbox.python


def sandbox_root(workdir: Path) -> Path:
    """The sandbox a pipeline's repository lives in (workdir is <sandbox>/work/project)."""
    return workdir.parents[1]


def make_wheel(directory: Path, name: str, version: str, module_source: str) -> Path:
    """A minimal pure-Python wheel with one module, written by hand (no build tool needed)."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": module_source,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: effects\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    wheel.write_bytes(buffer.getvalue())
    return wheel


def run_uv(args: list[str], cwd: Path, scratch: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The uv under test, isolated in `scratch` (HOME, caches, config), for preparing a project."""
    for name in ("home", "cache", "config", "tmp"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(scratch / "home"),
        "TMPDIR": str(scratch / "tmp"),
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "UV_CACHE_DIR": str(scratch / "cache"),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_HTTP_RETRIES": "0",
    }
    uv = current().binary
    # PyPI (for the sample project's dev group) is the wheelhouse, as in the pipelines.
    with start_pypi(scratch / "pypi", ensure_wheelhouse()) as pypi:
        return subprocess.run(
            [str(uv), *args],
            cwd=cwd,
            env={**base, **pypi.env, **env},
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )


def cache_keys(run) -> set[str]:
    """Keys of the caches the pipeline saved, without the cache's index in the job (`0_`)."""
    return {re.sub(r"^\d+_", "", c.name) for c in run.cache_dirs()}


def venv_python_version(run, job: str) -> str:
    """`major.minor` of the Python in the .venv job `job` made (run in the sandbox)."""
    python = job_dir(run, job) / ".venv/bin/python"
    result = run.sandbox.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    assert result.returncode == 0, f"{job}: {python} does not run: {result.stderr.strip()}"
    return result.stdout.strip()


def assert_matrix_ran(run, versions=("3.11", "3.12", "3.13")) -> None:
    """Each `test: [X.Y]` matrix job ran both sample tests in a .venv of Python X.Y."""
    for version in versions:
        job = f"test: [{version}]"
        assert "Ran 2 tests" in log_of(run, job), f"{job} did not run the tests"
        assert venv_python_version(run, job) == version, f"{job} tested on another Python than {version}"

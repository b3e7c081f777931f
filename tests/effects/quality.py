"""Effects of the pipelines on docs/quality.md: ruff, mypy, pre-commit, tox and nox run for real.

Each tool comes from the wheelhouse (harness/pypi.py stands in for pypi.org); the configuration
files the page shows are put into the project unchanged before its commit.
"""

from __future__ import annotations

import json
import shutil

from effects import effect
from effects._common import ROOT, job_dir, log_of, run_uv

SNIPPETS = ROOT / "snippets" / "quality"


def _add_dev(*packages: str):
    """prepare: `uv add --dev <packages>`, as the page tells the reader to."""

    def prepare(workdir, registry):
        result = run_uv(["add", "--dev", *packages], workdir, workdir.parent / "prepare-uv", {})
        assert result.returncode == 0, f"uv add --dev {' '.join(packages)} failed:\n{result.stderr}"

    return prepare


def _config(snippet: str, name: str):
    """prepare: the page's configuration file, unchanged, as `name` in the project."""

    def prepare(workdir, registry):
        shutil.copy(SNIPPETS / snippet, workdir / name)

    return prepare


@effect("snippets/quality/ruff-and-mypy.yml", prepare=_add_dev("mypy"))
def ruff_and_mypy_checked_the_project(run):
    lint = log_of(run, "lint")
    assert "files already formatted" in lint, "ruff format --check did not check the project"
    report = job_dir(run, "lint") / "gl-code-quality-report.json"
    assert report.is_file(), "ruff wrote no code quality report"
    assert json.loads(report.read_text()) == [], "ruff reported findings on the sample project"
    directory = job_dir(run, "typecheck")
    python_files = len([p for p in directory.rglob("*.py") if ".venv" not in p.relative_to(directory).parts])
    typecheck = log_of(run, "typecheck")
    assert f"Success: no issues found in {python_files} source files" in typecheck, (
        f"mypy did not check the project's {python_files} files"
    )


@effect("snippets/quality/pre-commit.yml", prepare=_config("pre-commit-config.yaml", ".pre-commit-config.yaml"))
def hooks_ran_in_environments_built_with_uv(run):
    log = log_of(run, "pre-commit")
    for hook in ("ruff format", "ruff check"):
        assert any(line.startswith(hook) and line.endswith("Passed") for line in log.splitlines()), (
            f"hook {hook!r} did not pass"
        )
    home = job_dir(run, "pre-commit") / ".cache" / "pre-commit"
    rufs = list(home.glob("repo*/py_env-*/bin/ruff"))
    assert rufs, f"no hook environment with ruff in {home}"
    assert any(home.glob("repo*/py_env-*/pyvenv.cfg")), "the hook environment is not a venv"
    cfg = next(home.glob("repo*/py_env-*/pyvenv.cfg")).read_text()
    assert "uv = " in cfg, "the hook environment was not made by uv (pre-commit-uv)"
    assert run.cache_dirs(), "the hook environments were not cached"


@effect("snippets/quality/tox.yml", prepare=_config("tox.toml", "tox.toml"))
def tox_ran_the_tests_on_each_python(run):
    log = log_of(run, "tox")
    directory = job_dir(run, "tox")
    for version in ("3.11", "3.12", "3.13"):
        assert f"{version}: OK" in log, f"tox env {version} did not pass"
        cfg = (directory / ".tox" / version / "pyvenv.cfg").read_text()
        assert f"version_info = {version}." in cfg, f".tox/{version} is not Python {version}"
        assert "uv = " in cfg, f".tox/{version} was not made by uv"
    assert log.count("2 passed") == 3, "pytest did not pass both tests in each environment"


@effect("snippets/quality/nox.yml", prepare=_config("noxfile.py", "noxfile.py"))
def nox_ran_the_tests_on_each_python(run):
    log = log_of(run, "nox")
    for version in ("3.11", "3.12", "3.13"):
        assert f"Session tests-{version} was successful" in log, f"nox session tests-{version} failed"
    assert log.count("2 passed") == 3, "pytest did not pass both tests in each session"
    assert "uv sync --locked" in log, "nox did not install uv.lock"

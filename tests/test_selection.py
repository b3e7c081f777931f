"""How a run picks its workers and its tests: parallel by default, `--page NAME` for one page.

The defaults come from tests/pipeline-plugin (workers) and tests/conftest.py (`--page`).
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import guide_pipeline_plugin
import pytest
from harness.collect import ROOT


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "selection")


def _args_after(args: list[str], xdist: bool = True) -> list[str]:
    config = SimpleNamespace(pluginmanager=SimpleNamespace(has_plugin=lambda name: xdist and name == "xdist"))
    args = list(args)
    guide_pipeline_plugin.pytest_load_initial_conftests(early_config=config, parser=None, args=args)
    return args


def test_a_run_that_names_no_workers_gets_one_per_cpu(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _args_after([]) == ["-n", "auto", "--dist", "worksteal"]
    assert _args_after(["--page", "quality", "-k", "tox"])[:4] == ["-n", "auto", "--dist", "worksteal"]


@pytest.mark.parametrize(
    "args",
    [["-n", "0"], ["-n4"], ["--numprocesses=3"], ["--dist", "load"], ["--pipeline", "x.yml"], ["--co"], ["--pdb"]],
    ids=" ".join,
)
def test_a_run_that_chooses_its_workers_or_checks_files_keeps_its_arguments(args, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _args_after(args) == args


def test_without_xdist_and_in_a_worker_nothing_is_added(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _args_after([], xdist=False) == []  # `-p no:xdist`: no `-n` pytest would reject
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert _args_after([]) == []


def _collected(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--co", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_page_keeps_the_tests_of_that_page_only():
    result = _collected("--page", "pages", "tests/test_pipelines.py", "tests/test_secrets.py")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    # The page's own pipeline shows as `.gitlab-ci.yml`: found by its example's page, not its id.
    assert "tests/test_pipelines.py::test_pipeline_runs[.gitlab-ci.yml#push]" in ids, ids
    assert any(i.startswith("tests/test_secrets.py::") for i in ids), ids
    other = [i for i in ids if "quality" in i or "snippets/projects/" in i or "every_effect" in i]
    assert not other, f"--page pages kept tests of other pages: {other}"


def test_an_unknown_page_is_a_usage_error():
    result = _collected("--page", "no-such-page", "tests/test_secrets.py")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "--page: no docs/no-such-page.md" in result.stderr

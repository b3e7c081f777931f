"""Fixtures and the end-of-run summary; collection and checks live in tests/harness."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness.report import summary_lines  # noqa: E402
from harness.sandbox import Sandbox, make_sandbox  # noqa: E402


@pytest.fixture(scope="session")
def python_templates(tmp_path_factory) -> Path:
    """Where the per-session copy of the interpreter lives (one per xdist worker)."""
    return tmp_path_factory.mktemp("templates")


@pytest.fixture
def sandbox(tmp_path, python_templates) -> Sandbox:
    """A fresh sandbox: own HOME, TMPDIR, caches and a copied non-venv Python."""
    return make_sandbox(tmp_path / "sandbox", python_templates)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    reports = [
        r
        for outcome in ("passed", "failed", "skipped", "error")
        for r in terminalreporter.stats.get(outcome, [])
        if getattr(r, "when", None) in ("call", "setup") and (r.when == "call" or r.skipped)
    ]
    terminalreporter.write_sep("=", "example checker summary")
    for line in summary_lines(reports):
        terminalreporter.write_line(line)

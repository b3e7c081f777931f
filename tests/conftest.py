"""Fixtures and the end-of-run summary; collection and checks live in tests/harness."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Imported where used: `pytest --pipeline FILE` must start fast and needs none of them.
if TYPE_CHECKING:
    from harness.registry import Registry
    from harness.sandbox import Sandbox
    from harness.tools import Tools

# The sample project and the broken pipelines are data, not tests of this suite.
collect_ignore = ["fixtures"]


@pytest.fixture(scope="session")
def python_templates(tmp_path_factory) -> Path:
    """Where the per-session copy of the interpreter lives (one per xdist worker)."""
    return tmp_path_factory.mktemp("templates")


@pytest.fixture
def sandbox(tmp_path, python_templates) -> Sandbox:
    """A fresh sandbox: own HOME, TMPDIR, caches and a copied non-venv Python."""
    from harness.sandbox import make_sandbox

    return make_sandbox(tmp_path / "sandbox", python_templates)


@pytest.fixture
def registry(tmp_path, sandbox) -> Registry:
    """A GitLab-style PyPI registry on a free loopback port, with empty storage; stopped afterwards.

    Its stand-in for pypi.org (harness/pypi.py) is the sandbox's proxy from now on.
    """
    from harness.registry import start_registry

    with start_registry(tmp_path / "registry") as reg:
        sandbox.env.update(reg.pypi.env)
        yield reg


@pytest.fixture(scope="session")
def gitlab_ci_local() -> Tools:
    """gitlab-ci-local and Node 22 (installed into .tools/ on first use)."""
    from harness.tools import ToolError, ensure_tools

    try:
        return ensure_tools()
    except ToolError as exc:
        pytest.fail(str(exc), pytrace=False)


def pytest_sessionstart(session):
    """Install gitlab-ci-local and Node 22 and fetch the wheelhouse once, before any worker starts,
    with a visible line."""
    from harness.tools import ToolError, ensure_tools
    from harness.wheelhouse import ensure_wheelhouse

    if hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter else print
    try:
        ensure_tools(progress=write)
    except ToolError as exc:  # the tests that run pipelines fail with this message
        write(f"gitlab-ci-local is not available: {exc}")
    try:
        ensure_wheelhouse(progress=write)
    except (ToolError, OSError) as exc:  # the tests that start a registry fail with this message
        write(f"the wheelhouse is not available: {exc}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from harness.report import summary_lines

    if hasattr(config, "workerinput"):
        return
    reports = [
        r
        for outcome in ("passed", "failed", "skipped", "xfailed", "error")
        for r in terminalreporter.stats.get(outcome, [])
        if getattr(r, "when", None) in ("call", "setup") and (r.when == "call" or r.skipped)
    ]
    terminalreporter.write_sep("=", "example checker summary")
    for line in summary_lines(reports):
        terminalreporter.write_line(line)

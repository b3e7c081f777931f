"""Fixtures and the end-of-run summary; collection and checks live in tests/harness."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# pytest rewrites asserts (its detailed failure messages) only in modules it knows before they are
# imported: the effect checks and the troubleshooting entries, which test modules import at
# collection (effects.troubleshooting loads every entry).
pytest.register_assert_rewrite("effects", "troubleshooting")

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


def _on_page(item, page: str) -> bool:
    """Whether a test checks docs/<page>.md: a parameter is one of its examples (or the page), its
    id names the page or one of its snippets, or it reproduces a troubleshooting entry."""
    doc = f"docs/{page}.md"
    params = item.callspec.params.values() if hasattr(item, "callspec") else ()
    if any(getattr(v, "page", None) == doc or str(getattr(v, "path", v)).endswith(doc) for v in params):
        return True
    if doc in item.nodeid or f"snippets/{page}/" in item.nodeid:
        return True
    return page == "troubleshooting" and item.nodeid.startswith("tests/troubleshooting/")


def pytest_collection_modifyitems(config, items):
    """`--page NAME`: only the checks of docs/NAME.md run; the rest are deselected."""
    pages = [p.removeprefix("docs/").removesuffix(".md") for p in config.getoption("page")]
    if not pages:
        return
    missing = [p for p in pages if not (Path(config.rootpath) / "docs" / f"{p}.md").is_file()]
    if missing:
        raise pytest.UsageError(f"--page: no docs/{missing[0]}.md")
    keep = [item for item in items if any(_on_page(item, p) for p in pages)]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Differences from the pin a check noted (harness/drift.py) travel with the test's report."""
    outcome = yield
    if item.config.getoption("uv"):
        from harness import drift

        if found := drift.take():
            outcome.get_result().user_properties.append((drift.PROPERTY, [d.as_property() for d in found]))


def _reports(stats) -> list:
    """The reports of the run the summary counts: each test's call, and setups that were skipped."""
    return [
        r
        for outcome in ("passed", "failed", "skipped", "xfailed", "error")
        for r in stats.get(outcome, [])
        if getattr(r, "when", None) in ("call", "setup") and (r.when == "call" or r.skipped)
    ]


_DRIFT_LINES = pytest.StashKey[list]()


def pytest_sessionfinish(session, exitstatus):
    """With --uv: the drift report (harness/drift.py), and with --bump the guide moved to that uv."""
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("uv"):
        return
    from harness import drift
    from harness.uv_under_test import current

    uv = current()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter else {}
    every = [r for outcome in ("passed", "failed", "skipped", "xfailed", "error") for r in stats.get(outcome, [])]
    found = drift.collect(every, uv.looking_ahead)
    if uv.looking_ahead:
        from harness.uv_under_test import VENV_UV

        macros = (Path(config.rootpath) / "docs" / "macros.py").read_text().splitlines()
        line = next(n for n, text in enumerate(macros, 1) if text.startswith("UV_SETTINGS"))
        found += drift.new_variables(VENV_UV, uv.binary, uv.version, uv.pinned, f"docs/macros.py:{line}")
    path = Path(config.rootpath) / drift.REPORT
    path.write_text(drift.markdown(found, uv.version, uv.pinned, config.getoption("uv")))
    lines = [*drift.summary(found), f"drift report: {path}"]
    if config.getoption("bump"):
        from harness.bump import bump

        lines += bump(found, uv)
    elif found and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # drift fails the run (a scheduled CI job)
    config.stash[_DRIFT_LINES] = lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from harness.report import summary_lines

    if hasattr(config, "workerinput"):
        return
    terminalreporter.write_sep("=", "example checker summary")
    for line in summary_lines(_reports(terminalreporter.stats)):
        terminalreporter.write_line(line)
    for line in config.stash.get(_DRIFT_LINES, []):
        terminalreporter.write_line(line)

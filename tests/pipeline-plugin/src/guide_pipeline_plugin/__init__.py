"""The suite's own options, known to pytest before it picks its root directory.

`uv run pytest --pipeline FILE [--pipeline FILE ...] [--pipeline-root DIR]` (harness/reader.py):
pytest collects nothing; the files are checked, one line per problem is printed, and the exit status
is 1 when there is a problem, 0 when the files are clean.

`uv run pytest --uv VERSION|latest [--bump]` (harness/uv_under_test.py): every check runs against
that uv; what differs from the pin is drift (harness/drift.py), summarised at the end and written to
drift-report.md; `--bump` then moves the guide to that uv (harness/bump.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[3]  # tests/pipeline-plugin/src/guide_pipeline_plugin


def pytest_addoption(parser):
    group = parser.getgroup("pipeline", "check your own pipeline")
    group.addoption(
        "--pipeline",
        action="append",
        default=[],
        metavar="FILE",
        help="check this .gitlab-ci.yml with the guide's static checks instead of running the suite",
    )
    group.addoption(
        "--pipeline-root",
        default=None,
        metavar="DIR",
        help="the project directory `include: local:` paths start from (default: the file's directory)",
    )
    group = parser.getgroup("uv", "look ahead to another uv")
    group.addoption(
        "--uv",
        default=None,
        metavar="VERSION",
        help="run every check against this uv release (or `latest`) instead of the pin, and report the drift",
    )
    group.addoption(
        "--bump",
        action="store_true",
        help="with --uv: move the guide to that uv (pin, uv.lock, literals, quoted messages) and print what changed",
    )


def pytest_cmdline_main(config):
    """With --pipeline, check those files and exit before anything is collected."""
    paths = config.getoption("pipeline")
    if not paths:
        return None
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from harness.reader import run

    return run(paths, config.getoption("pipeline_root"))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """With --uv, install that uv and name it to this process and the workers it starts."""
    spec = config.getoption("uv")
    if config.getoption("bump") and not spec:
        raise pytest.UsageError("--bump needs --uv VERSION: the release to move the guide to")
    if not spec or hasattr(config, "workerinput"):  # workers inherit the controller's environment
        return
    tests = str(config.rootpath / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from harness.tools import ToolError
    from harness.uv_under_test import activate, resolve

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    try:
        uv = resolve(spec, progress=reporter.write_line if reporter else None)
    except (ToolError, OSError) as exc:
        raise pytest.UsageError(f"--uv {spec}: {exc}") from None
    activate(uv)

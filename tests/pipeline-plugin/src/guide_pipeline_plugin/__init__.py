"""The suite's own options, known to pytest before it picks its root directory.

`uv run pytest --pipeline FILE [--pipeline FILE ...] [--pipeline-root DIR]` (harness/reader.py):
pytest collects nothing; the files are checked, one line per problem is printed, and the exit status
is 1 when there is a problem, 0 when the files are clean.

`uv run pytest --uv VERSION|latest [--bump]` (harness/uv_under_test.py): every check runs against
that uv; what differs from the pin is drift (harness/drift.py), summarised at the end and written to
drift-report.md; `--bump` then moves the guide to that uv (harness/bump.py).

`uv run pytest --page NAME` runs only the checks of docs/NAME.md: its examples (pipelines included),
its browser checks, and for the troubleshooting page its reproductions (tests/conftest.py selects).

Parallel by default: with pytest-xdist present, a run that names no `-n` gets `-n auto --dist
worksteal` (see pytest_load_initial_conftests). `-p no:xdist` or `-n 0` runs serially.
"""

from __future__ import annotations

import os
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
    group.addoption(
        "--page",
        action="append",
        default=[],
        metavar="NAME",
        help="run only the checks of docs/NAME.md (its examples, pipelines, browser checks)",
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


# Options after which a run stays in one process: it chose its workers, checks files only, or lists.
_SERIAL = ("-n", "--numprocesses", "--dist", "--pipeline", "--collect-only", "--co", "--pdb", "--trace")


def pytest_load_initial_conftests(early_config, parser, args):
    """Add `-n auto --dist worksteal` to a run that names no workers, when pytest-xdist is loaded.

    worksteal: pipelines take 0.2-10 s each, so an idle worker takes queued items from a busy one
    instead of waiting behind a fixed split. Work shared per session (the site build, the browser's
    results per page, harness/site.py `once`) is computed once under a file lock whichever worker
    asks first, so no grouping is needed. The args list is the one pytest parses next (addopts
    included), so this is the same as typing the options.
    """
    if not early_config.pluginmanager.has_plugin("xdist") or "PYTEST_XDIST_WORKER" in os.environ:
        return
    if any(arg.split("=")[0] in _SERIAL or (arg.startswith("-n") and not arg.startswith("--")) for arg in args):
        return
    args[:0] = ["-n", "auto", "--dist", "worksteal"]


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

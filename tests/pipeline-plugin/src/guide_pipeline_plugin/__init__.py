"""`uv run pytest --pipeline FILE [--pipeline FILE ...] [--pipeline-root DIR]` (harness/reader.py).

With `--pipeline`, pytest collects nothing: the files are checked, one line per problem is printed,
and the exit status is 1 when there is a problem, 0 when the files are clean.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def pytest_cmdline_main(config):
    """With --pipeline, check those files and exit before anything is collected."""
    paths = config.getoption("pipeline")
    if not paths:
        return None
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from harness.reader import run

    return run(paths, config.getoption("pipeline_root"))

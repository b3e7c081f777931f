"""Benchmark of the suite itself (not part of `uv run pytest`): `uv run python tests/benchmark_suite.py`.

Runs the README's command on each phase, as a reader types it (parallel by default, see
tests/pipeline-plugin), and prints the median wall time of `--rounds` runs per phase with the
median time per item from the junit report:
- static: the checks that run nothing (YAML, shell, secrets, TOML, versions, inventory, prose, the
  checker's own tests and properties);
- pipelines: tests/test_pipelines.py; its figure per pipeline is set against the floor, the median
  of gitlab-ci-local running a pipeline of one `echo` job in a sandbox (start-up, parsing, one job),
  as pipelines per second;
- browser: tests/test_browser.py and tests/test_site.py (one site build, Chromium);
- the whole suite (`uv run pytest`);
- the writer's loop: `uv run pytest --pipeline FILE` on one snippet, and `uv run pytest --page NAME`.
The static phase is set against the check-jsonschema CLI (one process per YAML block) in the same
run. `--rounds N` (default 1), `--skip-suite` leaves out the whole-suite run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from benchmark_static import cli_seconds_per_file, median_seconds  # noqa: E402
from harness.collect import ROOT, examples  # noqa: E402
from harness.uv_under_test import current  # noqa: E402

STATIC = [
    f"tests/{name}.py"
    for name in (
        "test_yaml test_shell test_secrets test_toml test_versions test_inventory test_collect "
        "test_example_lines test_prose test_python test_drift test_wheelhouse test_checker_reader "
        "test_checker_shell test_checker_yaml test_checker_robustness"
    ).split()
]
PHASES = {
    "static": STATIC,
    "pipelines": ["tests/test_pipelines.py"],
    "browser": ["tests/test_browser.py", "tests/test_site.py"],
}
FLOOR_PIPELINE = "job:\n  script:\n    - echo floor\n"


def pytest_run(args: list[str], junit: Path | None = None) -> float:
    """Wall seconds of `uv run pytest ARGS` in the checkout (its output is dropped)."""
    extra = [f"--junitxml={junit}"] if junit else []
    command = [str(current().binary), "run", "--project", str(ROOT), "pytest", "-q", *args, *extra]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def item_seconds(junit: Path) -> list[float]:
    """setup + call + teardown of each item that ran (skipped items left out)."""
    return [
        float(case.get("time", 0))
        for case in ET.parse(junit).iter("testcase")
        if case.find("skipped") is None
    ]


def phase(name: str, args: list[str], rounds: int) -> tuple[float, list[float]]:
    walls, items = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            junit = Path(tmp) / "junit.xml"
            walls.append(pytest_run(args, junit))
            items = item_seconds(junit)
    wall = statistics.median(walls)
    print(f"{name}: {statistics.median(walls):.1f} s wall (median of {rounds}), {len(items)} items run, "
          f"median {statistics.median(items) * 1e3:.1f} ms per item")
    return wall, items


def floor_seconds() -> float:
    """gitlab-ci-local running one `echo` job, exactly as the suite runs a pipeline (median of 5)."""
    from harness.registry import start_registry
    from harness.runner import run_pipeline
    from harness.sandbox import make_sandbox

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.yml"
        path.write_text(FLOOR_PIPELINE)
        templates = Path(tmp) / "templates"
        templates.mkdir()
        runs = []
        for n in range(6):
            sandbox = make_sandbox(Path(tmp) / f"sandbox-{n}", templates)
            with start_registry(Path(tmp) / f"registry-{n}") as registry:
                sandbox.env.update(registry.pypi.env)
                run = run_pipeline(path, sandbox, registry)
                assert run.ok, run.failure()
                runs.append(run.duration)
    return statistics.median(runs[1:])  # the first run pays for copying the Pythons


def cli_seconds_per_block() -> tuple[float, int]:
    """check-jsonschema's CLI, one process per YAML block (10 blocks, median of 3)."""
    blocks = [e for lang in ("yaml", "yml") for e in examples(lang)]
    return cli_seconds_per_file(blocks), len(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--page", default="quality", help="the page the writer's loop runs (docs/NAME.md)")
    options = parser.parse_args()

    floor = floor_seconds()
    static_wall, _ = phase("static", PHASES["static"], options.rounds)
    cli, n_yaml = cli_seconds_per_block()
    print(f"  check-jsonschema CLI, one process per block: {cli * 1e3:.0f} ms, so {n_yaml} YAML blocks "
          f"alone {cli * n_yaml:.1f} s: the whole static phase costs {static_wall / (cli * n_yaml):.2f}x that")
    _, pipelines = phase("pipelines", PHASES["pipelines"], options.rounds)
    median = statistics.median(pipelines)
    print(f"  floor (gitlab-ci-local, one `echo` job): {floor:.2f} s = {1 / floor:.2f} pipelines/s; "
          f"the site's pipelines: median {median:.2f} s = {1 / median:.2f} pipelines/s "
          f"({median / floor:.1f}x the floor)")
    phase("browser", PHASES["browser"], options.rounds)
    if not options.skip_suite:
        phase("whole suite", [], options.rounds)
    snippet = "snippets/projects/locked-test.yml"
    one = median_seconds(lambda: pytest_run(["--pipeline", snippet]), repeat=5)
    print(f"writer's loop: `uv run pytest --pipeline {snippet}` {one:.2f} s (median of 5)")
    page = pytest_run(["--page", options.page])
    print(f"writer's loop: `uv run pytest --page {options.page}` {page:.1f} s")


if __name__ == "__main__":
    main()

"""Python blocks pass ruff (through pytest-examples) and run without error.

Each block runs as a script in a sandbox, with `uv run` in a copy of the sample project: the code
the site shows is the sample's own code, so its imports (`sample`, `sample_lib`) resolve there. A
test module shown whole runs its tests (`unittest.main()`), and a failure fails the block.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness.collect import ROOT, Example, examples
from harness.uv_under_test import copy_project
from pytest_examples import CodeExample

LANGUAGES = ("python", "py")

SAMPLE = ROOT / "tests" / "fixtures" / "sample-project"
PY_EXAMPLES = [e for lang in LANGUAGES for e in examples(lang)]


def _code_example(example: Example) -> CodeExample:
    """The block for pytest-examples; line N of ruff's findings is line N of the block."""
    return CodeExample.create(example.source, path=Path("block.py"), start_line=0)


@pytest.mark.parametrize("example", PY_EXAMPLES, ids=str)
def test_python_passes_ruff(example, eval_example, record_property):
    record_property("check", "python-lint")
    record_property("example", str(example))
    eval_example.set_config(ruff_line_length=110, target_version="py310")
    try:
        eval_example.lint_ruff(_code_example(example))
        return
    except pytest.fail.Exception as exc:
        text = str(exc)
    # Outside the except block, so that the report shows this message only.
    m = re.search(r"(?:-|block\.py):(\d+):\d+", text)
    where = example.where(int(m[1]) - 1) if m else example.where(0)
    finding = next((line.strip() for line in text.splitlines()[1:] if line.strip()), "ruff failed")
    pytest.fail(f"{where}: {finding}\n{text}", pytrace=False)


@pytest.mark.parametrize("example", PY_EXAMPLES, ids=str)
def test_python_runs(example, sandbox, record_property, request):
    record_property("check", "python-run")
    record_property("example", str(example))
    project = sandbox.root / "work" / "project"
    copy_project(SAMPLE, project)
    script = sandbox.root / "work" / "block.py"
    script.write_text(example.source)
    command = ["uv", "run", "--locked", "--offline", "--no-dev", "python", str(script)]
    if example.title and Path(example.title).name == "noxfile.py":
        # nox's configuration, not a script: nox loads it and lists its sessions. nox comes from
        # the wheelhouse, through the registry's stand-in for pypi.org.
        request.getfixturevalue("registry")
        command = ["uvx", "nox", "--list", "--noxfile", str(script)]
    result = sandbox.run(command, cwd=project)
    if result.returncode != 0:
        lines = [int(n) for n in re.findall(rf'File "{re.escape(str(script))}", line (\d+)', result.stderr)]
        where = example.where(lines[-1] - 1) if lines else example.where(0)
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        pytest.fail(f"{where}: the block fails when run: {last}\n{result.stderr[-2000:]}", pytrace=False)

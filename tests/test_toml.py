"""TOML blocks parse, and the pyproject.toml / uv settings they show are accepted by the pinned uv.

A block that shows a file of the sample project is checked in a copy of that project: the lockfile
must still match (`uv lock --check`). Any other block with `[project]` or `[tool.uv]` tables goes
into a small project of its own (a `[project]` table is added when the block has none) and must lock
offline without a warning. uv ignores unknown keys in `[[tool.uv.index]]` entries, so each key is
also looked up in the uv binary as a whole word: a misspelt key is not a word uv knows.
"""

from __future__ import annotations

import functools
import re
import tomllib

import pytest
from harness.collect import ROOT, Example, examples
from harness.kinds import toml_for_uv
from harness.uv_under_test import copy_project, current

LANGUAGES = ("toml",)

SAMPLE = "tests/fixtures/sample-project/"
MINIMAL_PROJECT = '[project]\nname = "toml-check"\nversion = "0"\nrequires-python = ">=3.11"\n\n'
TOML_EXAMPLES = examples("toml")


def _parse(example: Example):
    try:
        return tomllib.loads(example.source), None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m[1]) if m else 1
        return None, f"{example.where(line - 1)}: not valid TOML: {exc}"


def _for_uv(example: Example) -> bool:
    return toml_for_uv(example.source)


def _sample_file(example: Example) -> str | None:
    """The sample-project file a block shows, relative to the project, if it shows one whole."""
    files = {f for f, _ in example.origins}
    if len(files) == 1 and (only := files.pop()).startswith(SAMPLE):
        return only.removeprefix(SAMPLE)
    return None


@functools.cache
def _uv_binary() -> bytes:
    return current().binary.read_bytes()


def _uv_knows_word(word: str) -> bool:
    """Whether the uv binary holds `word` as a whole word somewhere (not only inside a longer one)."""
    pattern = rb"(?<![a-z_-])" + re.escape(word.encode()) + rb"(?![a-z_-])"
    return re.search(pattern, _uv_binary()) is not None


@pytest.mark.parametrize("example", TOML_EXAMPLES, ids=str)
def test_toml_parses(example, record_property):
    record_property("check", "toml-parse")
    record_property("example", str(example))
    _, problem = _parse(example)
    assert problem is None, problem


@pytest.mark.parametrize("example", [e for e in TOML_EXAMPLES if _for_uv(e)], ids=str)
def test_uv_accepts_the_settings(example, sandbox, record_property):
    record_property("check", "toml-uv")
    record_property("example", str(example))
    data, _ = _parse(example)
    for i, entry in enumerate(data.get("tool", {}).get("uv", {}).get("index", [])):
        for key in entry:
            assert _uv_knows_word(key), (
                f"{_line_of(example, key)}: `{key}` in [[tool.uv.index]] entry {i + 1} is not a setting "
                f"uv knows (uv ignores it silently)"
            )
    project = sandbox.root / "work" / "project"
    shown = _sample_file(example)
    if shown is not None:
        copy_project(ROOT / SAMPLE, project)
        (project / shown).write_text(example.source)
        command = ["uv", "lock", "--check", "--offline"]
    else:
        project.mkdir(parents=True)
        header = "" if "project" in data else MINIMAL_PROJECT
        (project / "pyproject.toml").write_text(header + example.source)
        command = ["uv", "lock", "--offline"]
    result = sandbox.run(command, cwd=project)
    output = result.stderr + result.stdout
    assert result.returncode == 0, f"{example.where(0)}: `{' '.join(command)}` failed:\n{output}"
    warnings = [line for line in output.splitlines() if line.startswith(("warning:", "error:"))]
    assert not warnings, f"{example.where(0)}: uv warns about the settings:\n{output}"


def _line_of(example: Example, key: str) -> str:
    for i, line in enumerate(example.source.splitlines()):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return example.where(i)
    return example.where(0)

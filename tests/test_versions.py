"""One source of versions: every uv version the site names is the exact pin in pyproject.toml.

With another uv under test (`--uv VERSION`), a literal that names the pin is drift, not a failure:
each is noted once with the edit `--bump` applies (harness/drift.py).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from harness import drift
from harness.collect import ROOT, examples
from harness.uv_under_test import current
from harness.versions import drift_or_problems, literal_pin_in_prose, version_problems

sys.path.insert(0, str(ROOT / "docs"))
import macros  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "versions"
QUOTES = ("reproduces", "unsafe")  # blocks that show what uv or GitLab printed, not advice


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "versions")


def test_macros_read_the_pin_in_pyproject():
    """The value every other test here compares with, read again without docs/macros.py."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("dependency-groups", {})
    pins = sorted({m[1] for g in groups.values() for r in g if (m := re.fullmatch(r"uv==(\d+\.\d+\.\d+)", str(r)))})
    assert len(pins) == 1, f"pyproject.toml:1: expected one exact uv==X.Y.Z pin, found {pins or 'none'}"
    pinned = macros.PINNED_UV
    assert pinned == pins[0], f"docs/macros.py:1: PINNED_UV is {pinned}, pyproject.toml pins uv=={pins[0]}"
    assert current().pinned == pinned, f"tests/harness/uv_under_test.py:1: reads the pin {current().pinned}"
    # The pages render for the uv under test: the pin, or the release `--uv` names.
    assert macros.UV_VERSION == current().version, f"docs/macros.py:1: UV_VERSION is {macros.UV_VERSION}"


def _check(lines: list[tuple[str, str]]) -> None:
    """Fail on each line that names another uv than the one under test; with another uv than the
    pin under test, a line that names the pin is drift instead (noted with its edit)."""
    uv = current()
    if uv.looking_ahead:
        drifts, found = drift_or_problems(lines, uv.pinned, uv.version)
        for d in drifts:
            drift.note(d)
    else:
        found = version_problems(lines, uv.version)
    assert not found, "\n".join(found)


def numbered(path: Path, name: str) -> list[tuple[str, str]]:
    return [(f"{name}:{n}", line) for n, line in enumerate(path.read_text().splitlines(), 1)]


def shown_snippets() -> list[str]:
    """Snippet files shown as advice (not only inside quoted failures)."""
    return sorted(
        {e.include.split(":")[0] for e in examples() if e.include and not any(m in e.markers for m in QUOTES)}
    )


@pytest.mark.parametrize("snippet", shown_snippets())
def test_snippet_names_the_pinned_uv(snippet):
    _check(numbered(ROOT / snippet, snippet))


@pytest.mark.parametrize(
    "example", [e for e in examples() if not e.include and not any(m in e.markers for m in QUOTES)], ids=str
)
def test_inline_block_names_the_pinned_uv(example):
    _check([(example.where(i), line) for i, line in enumerate(example.source.splitlines())])


@pytest.mark.parametrize(
    "page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_prose_uses_the_macro(page):
    name = page.relative_to(ROOT).as_posix()
    assert not (found := literal_pin_in_prose(name, page.read_text(), current().pinned)), "\n".join(found)


# --- the rule on inputs made to break it ----------------------------------------------------------


def test_stale_versions_are_reported_at_their_lines():
    found = version_problems(numbered(FIXTURES / "stale.yml", "stale.yml"), "9.9.9")
    assert found == [
        "stale.yml:2: UV_VERSION 9.8.5 is not the pinned uv 9.9.9 (pyproject.toml)",
        "stale.yml:5: image tag 9.8 is not the pinned uv 9.9.9 (pyproject.toml)",
        "stale.yml:7: uv pin 9.9.8 is not the pinned uv 9.9.9 (pyproject.toml)",
        "stale.yml:9: UV_VERSION 9.9.0 is not the pinned uv 9.9.9 (pyproject.toml)",
        "stale.yml:10: image tag 9.9.8 is not the pinned uv 9.9.9 (pyproject.toml)",
    ]


def test_pinned_versions_pass():
    lines = [
        ("a:1", 'UV_VERSION: "9.9.9"'),
        ("a:2", "image: ghcr.io/astral-sh/uv:9.9-alpine"),
        ("a:3", "uv==9.9.9"),
        ("a:4", 'requires = ["uv_build>=9.9.9,<9.10"]'),
    ]
    assert version_problems(lines, "9.9.9") == []


def test_build_bounds_must_hold_the_pin_and_its_minor_only():
    lines = [("a:1", 'requires = ["uv_build>=9.9.0,<9.10"]'), ("a:2", 'requires = ["uv_build>=9.9.9,<9.11"]')]
    assert version_problems(lines, "9.9.9") == [
        "a:1: uv_build bounds >=9.9.0,<9.10 are not those of the pinned uv 9.9.9: >=9.9.9,<9.10",
        "a:2: uv_build bounds >=9.9.9,<9.11 are not those of the pinned uv 9.9.9: >=9.9.9,<9.10",
    ]


def test_literal_pin_in_prose_is_reported_but_not_history_or_fences():
    found = literal_pin_in_prose("page.md", (FIXTURES / "page.md").read_text(), "9.9.9")
    assert found == [
        "page.md:3: writes uv 9.9.9 literally; use {{ uv_version }}",
        "page.md:12: writes uv 9.9.9 literally; use {{ uv_version }}",
    ]

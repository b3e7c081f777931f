"""One source of versions: every uv version the site names is the exact pin in pyproject.toml."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from harness.collect import ROOT, examples
from harness.versions import literal_pin_in_prose, version_problems

sys.path.insert(0, str(ROOT / "docs"))
from macros import UV_VERSION  # noqa: E402

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
    assert UV_VERSION == pins[0], f"docs/macros.py:1: UV_VERSION is {UV_VERSION}, pyproject.toml pins uv=={pins[0]}"


def numbered(path: Path, name: str) -> list[tuple[str, str]]:
    return [(f"{name}:{n}", line) for n, line in enumerate(path.read_text().splitlines(), 1)]


def shown_snippets() -> list[str]:
    """Snippet files shown as advice (not only inside quoted failures)."""
    return sorted(
        {e.include.split(":")[0] for e in examples() if e.include and not any(m in e.markers for m in QUOTES)}
    )


@pytest.mark.parametrize("snippet", shown_snippets())
def test_snippet_names_the_pinned_uv(snippet):
    assert not (found := version_problems(numbered(ROOT / snippet, snippet), UV_VERSION)), "\n".join(found)


@pytest.mark.parametrize(
    "example", [e for e in examples() if not e.include and not any(m in e.markers for m in QUOTES)], ids=str
)
def test_inline_block_names_the_pinned_uv(example):
    lines = [(example.where(i), line) for i, line in enumerate(example.source.splitlines())]
    assert not (found := version_problems(lines, UV_VERSION)), "\n".join(found)


@pytest.mark.parametrize(
    "page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_prose_uses_the_macro(page):
    name = page.relative_to(ROOT).as_posix()
    assert not (found := literal_pin_in_prose(name, page.read_text(), UV_VERSION)), "\n".join(found)


# --- the rule on inputs made to break it ----------------------------------------------------------


def test_stale_versions_are_reported_at_their_lines():
    found = version_problems(numbered(FIXTURES / "stale.yml", "stale.yml"), "0.13.9")
    assert found == [
        "stale.yml:2: UV_VERSION 0.12.5 is not the pinned uv 0.13.9 (pyproject.toml)",
        "stale.yml:5: image tag 0.12 is not the pinned uv 0.13.9 (pyproject.toml)",
        "stale.yml:7: uv pin 0.13.8 is not the pinned uv 0.13.9 (pyproject.toml)",
        "stale.yml:9: UV_VERSION 0.13.0 is not the pinned uv 0.13.9 (pyproject.toml)",
        "stale.yml:10: image tag 0.13.8 is not the pinned uv 0.13.9 (pyproject.toml)",
    ]


def test_pinned_versions_pass():
    lines = [
        ("a:1", 'UV_VERSION: "0.13.9"'),
        ("a:2", "image: ghcr.io/astral-sh/uv:0.13-alpine"),
        ("a:3", "uv==0.13.9"),
    ]
    assert version_problems(lines, "0.13.9") == []


def test_literal_pin_in_prose_is_reported_but_not_history_or_fences():
    found = literal_pin_in_prose("page.md", (FIXTURES / "page.md").read_text(), "9.9.9")
    assert found == [
        "page.md:3: writes uv 9.9.9 literally; use {{ uv_version }}",
        "page.md:12: writes uv 9.9.9 literally; use {{ uv_version }}",
    ]

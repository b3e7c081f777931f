"""uv commands, options and UV_* names in prose and generated tables exist in the uv under test.

Code blocks have their own checks; this one reads the rest of each page (harness/prose.py): inline
code in paragraphs, headings, admonitions and tables, the tables docs/macros.py generates included.
A problem is reported at the page line, or at the docs/macros.py line that writes a generated row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import prose
from harness.collect import ROOT, page_paths

FIXTURE = Path(__file__).parent / "fixtures" / "prose"


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "prose")


@pytest.mark.parametrize("page", page_paths(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_uv_terms_in_prose_exist(page, record_property):
    found = prose.terms(page)
    checked = [t for t in found if prose.kind_of(t.code)]
    record_property("prose_terms", [prose.kind_of(t.code) for t in checked])
    problems = [p for t in checked if (p := prose.problem(t))]
    assert not problems, "\n".join(problems)


# --- the rule on a page and a macros module made to break it ---------------------------------------


def _fixture_problems() -> list[str]:
    terms = prose.terms(FIXTURE / "docs" / "page.md", FIXTURE)
    return [p for t in terms if (p := prose.problem(t))]


def test_typos_in_prose_fail_at_their_page_line():
    found = [p for p in _fixture_problems() if p.startswith("docs/page.md")]
    assert [(p.split(": ", 1)[0], p.split("`")[1]) for p in found] == [
        ("docs/page.md:4", "uv sync --lockd"),  # an option of a command, in a paragraph
        ("docs/page.md:6", "uv pip install --sytem"),  # in a heading
        ("docs/page.md:8", "uv sycn"),  # a subcommand
        ("docs/page.md:11", "UV_CACHE_DIRR"),  # in an admonition
        ("docs/page.md:16", "UV_PUBLISH_PASWORD"),  # in a table
        ("docs/page.md:19", "--bogus-flag"),  # an option alone
    ]
    assert "did you mean `--locked`?" in found[0] and "did you mean `sync`?" in found[2]


def test_typos_in_a_generated_table_fail_at_the_macros_line():
    found = [p for p in _fixture_problems() if p.startswith("macros.py")]
    assert found == [
        "macros.py:5: `UV_LINK_MDOE` is not an environment variable uv "
        f"{prose.current().version} reads (did you mean `UV_LINK_MODE`?)",
        "macros.py:6: `--lockd`: no uv command has the option `--lockd` (did you mean `--locked`?)",
    ]


def test_what_is_not_uvs_passes():
    """What follows `uv run`, another tool's option in its sentence, a hidden uv option, a
    placeholder, and code blocks are not reported."""
    terms = {t.code: t for t in prose.terms(FIXTURE / "docs" / "page.md", FIXTURE)}
    passing = ("uv run pytest -q", "--strict", "--no-system", "UV_INDEX_<NAME>_USERNAME", "uvx --from ruff ruff check")
    for code in passing:
        assert prose.problem(terms[code]) is None, code
    assert not any("UV_NOT_CHECKED_HERE" in code for code in terms)

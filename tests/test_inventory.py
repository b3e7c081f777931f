"""Every block the site shows is found, has a language, and is claimed by a check."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import pytest
from harness.collect import ROOT, collect_site, examples

# Languages shown for reading only. Each is counted in the summary with this reason.
INVENTORY_ONLY = {
    "text": "plain text (log excerpts, file listings) is shown, not run",
    "mermaid": "a diagram; the browser check renders it",
}


@functools.cache
def claims() -> tuple[dict[str, str], dict[str, str]]:
    """Language -> test module and marker -> test module, from what checking modules (test_*.py)
    and packages (tests/<name>/__init__.py) declare: `LANGUAGES` (every block of a language) and
    `CLAIMED_MARKERS` (blocks carrying a marker)."""
    here = Path(__file__).parent
    names = [p.stem for p in sorted(here.glob("test_*.py"))]
    names += [p.parent.name for p in sorted(here.glob("*/__init__.py"))]
    languages, markers = {}, {}
    for name in names:
        module = importlib.import_module(name)
        languages.update(dict.fromkeys(getattr(module, "LANGUAGES", ()), name))
        markers.update(dict.fromkeys(getattr(module, "CLAIMED_MARKERS", ()), name))
    return languages, markers


@pytest.mark.parametrize("page", collect_site(), ids=lambda p: p.path)
def test_page_renders_cleanly(page, record_property):
    record_property("check", "page")
    assert not page.problems, "\n".join(map(str, page.problems))


@pytest.mark.parametrize("example", examples(), ids=str)
def test_block_is_claimed(example, record_property):
    record_property("check", "inventory")
    record_property("example", str(example))
    assert example.lang, f"{example.page}:{example.line}: fence without a language"
    languages, markers = claims()
    if any(marker in markers for marker in example.markers) or example.lang in languages:
        return
    if example.lang in INVENTORY_ONLY:
        pytest.skip(f"{example.lang}: {INVENTORY_ONLY[example.lang]}")
    raise AssertionError(
        f"{example.page}:{example.line}: no check claims language {example.lang!r} "
        f"(claimed: {', '.join(sorted(languages))}; inventory only: {', '.join(INVENTORY_ONLY)})"
    )


def snippet_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "snippets").rglob("*") if p.is_file())


@pytest.mark.parametrize("snippet", snippet_files())
def test_snippet_is_included(snippet, record_property):
    record_property("check", "snippet-used")
    used = {f for page in collect_site() for f in page.includes}
    assert snippet in used, f"{snippet}:1: no page includes this file"

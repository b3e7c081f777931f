"""The entries of the troubleshooting page, read from the page as the site renders it.

The page (docs/troubleshooting.md) has one H2 per problem. A quoted message is a fence with
`<!-- check: reproduces="T4" -->` above it; the fixes are the other blocks of the same H2 section.
A reproduction hands uv's output to `Entry.shows(block, output)`, which compares it with the block
(harness/quoted.py has the wildcard rules) and remembers that the block was reproduced.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from .collect import ROOT, Example, collect_site
from .quoted import assert_shows

PAGE = "docs/troubleshooting.md"
SNIPPETS = "snippets/troubleshooting"


@dataclass
class Entry:
    """One troubleshooting problem: its quoted blocks and every block of its H2 section."""

    id: str
    title: str
    blocks: list[Example]
    section: list[Example]
    matched: set[int] = field(default_factory=set)

    def block(self, containing: str) -> Example:
        """The quoted block whose text contains `containing` (a selector, not the expected text)."""
        found = [b for b in self.blocks if containing in b.source]
        assert len(found) == 1, (
            f"{self.where}: {len(found)} quoted blocks of {self.id} contain {containing!r}; expected one"
        )
        return found[0]

    def shows(self, block: Example, output: str) -> None:
        """Assert that `output` contains the quoted block."""
        assert_shows(block, output)
        self.matched.add(block.line)

    @property
    def not_reproducible(self) -> list[Example]:
        """Quoted blocks the page marks `not-runnable`: the pinned uv cannot print them here."""
        return [b for b in self.blocks if "not-runnable" in b.markers]

    def all_shown(self) -> None:
        """Every quoted block was reproduced by some run, except those the page marks not-runnable,
        which must not be (a marker that says less than the checks do is stale)."""
        problems = [
            f"{b.where()}: quoted block of {self.id} was not reproduced"
            for b in self.blocks
            if b.line not in self.matched and b not in self.not_reproducible
        ] + [
            f"{b.where()}: quoted block of {self.id} is reproduced: drop its not-runnable marker"
            for b in self.not_reproducible
            if b.line in self.matched
        ]
        assert not problems, "\n".join(problems)

    def fix(self, name: str) -> Example:
        """The block of this section included from snippets/troubleshooting/<name>."""
        origin = f"{SNIPPETS}/{name}"
        found = [e for e in self.section if e.origin == origin]
        assert found, f"{self.where}: section {self.title!r} does not include {origin}"
        return found[0]

    def output_of(self, example: Example) -> Example:
        """The block marked `<!-- check: output -->` that follows `example` in this section."""
        after = [e for e in self.section if e.line > example.line]
        assert after and "output" in after[0].markers, (
            f"{example.where()}: expected a text block marked <!-- check: output --> after this block"
        )
        return after[0]

    def blocks_of(self, lang: str) -> list[Example]:
        return [e for e in self.section if e.lang == lang]

    @property
    def where(self) -> str:
        return self.blocks[0].where() if self.blocks else PAGE


def _sections(path: Path) -> list[tuple[int, str]]:
    """(line, title) of each H2 of the page, outside fences."""
    heads, fence = [], None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.lstrip()
        if m := re.match(r"(`{3,}|~{3,})", stripped):
            if fence is None:
                fence = m.group(1)
            elif stripped.startswith(fence):
                fence = None
            continue
        if fence is None and line.startswith("## "):
            heads.append((n, line[3:].strip()))
    return heads


@functools.cache
def entries() -> dict[str, Entry]:
    """The page's entries by id, from the `reproduces` markers."""
    page = next((p for p in collect_site() if p.path == PAGE), None)
    if page is None:
        return {}
    heads = _sections(ROOT / PAGE)
    found: dict[str, Entry] = {}
    for example in page.examples:
        tid = example.markers.get("reproduces")
        if not tid:
            continue
        starts = [n for n, _ in heads if n < example.line]
        start = starts[-1] if starts else 0
        end = min((n for n, _ in heads if n > example.line), default=10**9)
        title = dict(heads).get(start, "")
        entry = found.setdefault(
            tid, Entry(tid, title, [], [e for e in page.examples if start < e.line < end])
        )
        entry.blocks.append(example)
    return found


def output_after(name: str) -> Example:
    """The `<!-- check: output -->` block that follows an inclusion of snippets/troubleshooting/<name>."""
    origin = f"{SNIPPETS}/{name}"
    shown = False
    for entry in entries().values():
        for example, following in zip(entry.section, entry.section[1:]):
            if example.origin == origin:
                shown = True
                if "output" in following.markers:
                    return following
    assert shown, f"{PAGE}:1: the page does not include {origin}"
    raise AssertionError(f"{PAGE}:1: no block marked <!-- check: output --> follows {origin}")

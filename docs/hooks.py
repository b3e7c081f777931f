"""mkdocs hook: under every example, one short line that says how the guide checked it.

The sentence comes from tests/harness/kinds.py, the classification the checks themselves use, so
a page never says more about an example than the suite does with it. The hook finds the fences with
the collector's own Markdown parser (tests/harness/collect.py), reads the marker comment above each
one and the snippet files it includes, and adds after the closing fence a paragraph of class
`example-check` (styled in assets/stylesheets/site.css) outside the code block, so that the copy
button copies the code only. The paragraph is left out of the search index.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

import macros  # noqa: E402  (docs/macros.py, the uv pin)
from harness import kinds  # noqa: E402
from harness.collect import (  # noqa: E402
    MARKER_RE,
    SNIPPET_LINE_RE,
    _language,
    _parser,
    _snippet_preprocessor,
    parse_markers,
)

CLASS_LINE = "{: .example-check data-search-exclude }"


def _expanded(lines: list[str], pre) -> str:
    """The block's text with its `--8<--` includes expanded, as the site will show it."""
    out: list[str] = []
    for line in lines:
        m = SNIPPET_LINE_RE.match(line)
        try:
            out.extend(pre.run([line]) if m and not m["escape"] else [line])
        except Exception:  # a missing file: the build and the collector report it
            out.append(line)
    return "\n".join(out) + "\n"


def example_lines(markdown: str, config) -> list[tuple[int, str, str]]:
    """(index of the closing fence line, its indentation, the sentence) for every example."""
    lines = markdown.splitlines()
    pre = _snippet_preprocessor(config)
    found = []
    for token in _parser().parse(markdown if markdown.endswith("\n") else markdown + "\n"):
        if token.type != "fence" or not token.map:
            continue
        start, stop = token.map
        closing = lines[stop - 1].strip() if stop - 1 > start else ""
        if not re.fullmatch(re.escape(token.markup[0]) + "{%d,}" % len(token.markup), closing):
            continue  # unclosed: the collector reports it
        markers = {}
        if start > 0 and MARKER_RE.match(lines[start - 1]):
            markers, _ = parse_markers(lines[start - 1], "")
        info = token.info.strip()
        title = dict(re.findall(r'([\w-]+)="([^"]*)"', info)).get("title")
        block = SimpleNamespace(
            lang=_language(info),
            title=title,
            markers=markers,
            source=_expanded(lines[start + 1 : stop - 1], pre),
        )
        check = kinds.describe(block, macros.UV_VERSION)
        if check.line is not None:
            indent = re.match(r"\s*", lines[start])[0]
            found.append((stop - 1, indent, check.line))
    return found


def on_page_markdown(markdown: str, *, page, config, files) -> str:
    lines = markdown.splitlines()
    for closing, indent, sentence in reversed(example_lines(markdown, config)):
        lines[closing + 1 : closing + 1] = ["", indent + sentence, indent + CLASS_LINE, ""]
    return "\n".join(lines) + ("\n" if markdown.endswith("\n") else "")

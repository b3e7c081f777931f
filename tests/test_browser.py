"""The built site as a reader sees it: headless Chromium, with every off-site request trapped.

Each page is loaded from a loopback server; Chromium's proxy is a trap that refuses and records
every request that would leave the machine. A page passes when it asked for nothing off-site,
threw no uncaught error, shows its title, gives every code block a copy button and replaced
every mermaid fence with a rendered diagram.
"""

from __future__ import annotations

import functools
import os
import struct
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from harness.collect import ROOT, examples, page_paths, render_page
from harness.site import CHROMIUM, Element, PageLoad, chromium, page_path, parse_html, serve, shared_base, shared_build

NO_BROWSER = "install chromium (apt-get install chromium)"
WINDOW = (1280, 900)


def need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CHECKER_NO_BROWSER") == "1":
        pytest.skip(f"{NO_BROWSER}; skipped because CHECKER_NO_BROWSER=1")
    pytest.fail(NO_BROWSER, pytrace=False)


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """(build, base URL); the URL is None when the build failed."""
    build = shared_build(shared_base(tmp_path_factory))
    if not build.ok:
        yield build, None
        return
    with serve(build.site) as url:
        yield build, url


@pytest.fixture
def site_url(served, record_property) -> str:
    record_property("check", "browser")
    need_chromium()
    build, url = served
    build.require()
    return url


@functools.cache
def load(url: str) -> PageLoad:
    try:
        return chromium(url)
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"mkdocs.yml:1: {exc}", pytrace=False)


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def markdown_title(page: Path) -> tuple[str, str] | None:
    """(file:line, text) of the page's `# ` heading as rendered Markdown has it."""
    lines, origins, _ = render_page(page)
    for token_index, token in enumerate(tokens := MarkdownIt("commonmark").parse("\n".join(lines))):
        if token.type == "heading_open" and token.tag == "h1" and token.map:
            inline = tokens[token_index + 1]
            text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            file, line = origins[token.map[0]][:2]
            return f"{file}:{line}", " ".join(text.split())
    return None


def heading_text(h1: Element) -> str:
    """Text of a heading without material's permalink anchor."""
    parts = [c if isinstance(c, str) else c.text for c in h1.children
             if isinstance(c, str) or "headerlink" not in c.classes]
    return " ".join("".join(parts).split())


def content(dom: Element) -> Element:
    """material's article element (the page body, not the nav or search results)."""
    articles = dom.find_all("article", cls="md-content__inner")
    return articles[0] if articles else Element("article", {})


def offsite_problems(where: str, page: PageLoad) -> list[str]:
    return [f"{where}: off-site request while loading {page.url}: {r}" for r in page.offsite]


def script_problems(where: str, page: PageLoad) -> list[str]:
    return [f"{where}: uncaught script error on {page.url}: {m}" for m in page.uncaught]


@pytest.mark.parametrize("page", page_paths(), ids=rel)
def test_page_works_offline(page, site_url):
    name = rel(page)
    loaded = load(site_url + page_path(name))
    article = content(parse_html(loaded.dom))
    problems = offsite_problems(f"{name}:1", loaded) + script_problems(f"{name}:1", loaded)

    title = markdown_title(page)
    shown = [heading_text(h) for h in article.find_all("h1")]
    if title is None:
        problems.append(f"{name}:1: the page has no `# ` title")
    elif title[1] not in shown:
        problems.append(f"{title[0]}: title {title[1]!r} not shown; the page's h1 reads {shown}")

    blocks = [e for e in examples() if e.page == name and e.lang != "mermaid"]
    pres = [p for p in article.find_all("pre") if p.find_all("code") and "mermaid" not in p.classes]
    buttons = {b.attrs.get("data-clipboard-target") for b in article.find_all("button")}
    uncopyable = [p for p in pres if f"#{p.attrs.get('id')} > code" not in buttons]
    if len(pres) != len(blocks):
        problems.append(f"{name}:1: the page shows {len(pres)} code blocks, its Markdown has {len(blocks)}")
    problems += [f"{name}:1: code block {p.attrs.get('id')!r} has no copy button" for p in uncopyable]
    assert not problems, "\n".join(problems)


MERMAID = examples("mermaid")


@pytest.mark.parametrize("example", MERMAID or [None], ids=lambda e: str(e) if e else "none")
def test_mermaid_diagram_renders_offline(example, site_url, record_property):
    """material swaps a `pre.mermaid` for its diagram host only after mermaid.render() gave SVG."""
    if example is None:
        pytest.skip("no page shows a mermaid diagram")
    record_property("example", str(example))
    loaded = load(site_url + page_path(example.page))
    article = content(parse_html(loaded.dom))
    problems = offsite_problems(example.where(0), loaded)
    # material replaces each fence in place, so the n-th diagram element belongs to the n-th fence.
    shown = [e for e in article.iter() if e.tag in ("pre", "div") and "mermaid" in e.classes]
    fences = [e for e in MERMAID if e.page == example.page]
    if len(shown) != len(fences):
        problems.append(f"{example.where(0)}: {len(shown)} diagrams on the page, {len(fences)} mermaid fences")
    elif shown[fences.index(example)].tag != "div":
        why = "; ".join(loaded.uncaught) or "no error in the console"
        problems.append(f"{example.where(0)}: the diagram was not rendered ({why})")
    assert not problems, "\n".join(problems)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_index_screenshot(site_url, tmp_path, record_property):
    """A screenshot for a person to look at; the test proves Chromium painted the whole window."""
    shot = tmp_path / "index.png"
    try:
        loaded = chromium(site_url, screenshot=shot, size=",".join(map(str, WINDOW)))
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"docs/index.md:1: {exc}", pytrace=False)
    record_property("screenshot", str(shot))
    problems = offsite_problems("docs/index.md:1", loaded) + script_problems("docs/index.md:1", loaded)
    assert shot.is_file(), f"docs/index.md:1: chromium wrote no screenshot of {site_url}"
    assert png_size(shot) == WINDOW, f"docs/index.md:1: screenshot is {png_size(shot)}, window {WINDOW}"
    assert not problems, "\n".join(problems)

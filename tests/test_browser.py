"""The built site as a reader gets it: Debian's Chromium, driven by Playwright, offline.

The site is built once per test session and served on a loopback port; each page is opened in a
fresh tab with every request that is not for that server aborted and written down. Each page is
its own test item for each check: it works offline and shows its title and a copy button per code
block; it weighs at most PAGE_BUDGET unless it shows a diagram; every copy button copies exactly
the text the checker validated; at 1280x800 nothing scrolls sideways; at 390x844 the page does
not scroll sideways and the navigation drawer opens; in dark mode code text is readable; axe-core
finds no serious or critical accessibility problem. Each quoted error, pasted into the search box
of the troubleshooting page, brings up that page first with its entry. A desktop and a phone
screenshot of every page are kept for a person to look at (the summary names the folder).
"""

from __future__ import annotations

import re

import contextlib
import functools
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from markdown_it import MarkdownIt
from playwright.sync_api import Error as PlaywrightError

from harness.browser import CHROMIUM, DESKTOP, PHONE, Browser, Visit
from harness.collect import ROOT, Example, examples, page_paths, render_page
from harness.site import page_path, run_dir, serve, shared_base, shared_build

NO_BROWSER = "install chromium (apt-get install chromium)"
TROUBLESHOOTING = "docs/troubleshooting.md"
# Goal for a page without a diagram: HTML, scripts and stylesheets it loads, in bytes.
PAGE_BUDGET = 400 * 1000
# WCAG 2.x AA minimum contrast for normal-size text.
MIN_CONTRAST = 4.5
# The page's code blocks (material's `pre` with a `code`; a mermaid fence is a diagram).
CODE_BLOCKS = "article.md-content__inner pre:has(> code):not(.mermaid)"
# Opens what hides an element: the <details> and content tabs it is in.
REVEAL_JS = """el => {
  for (let d = el.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  for (let b = el.closest(".tabbed-block"); b; b = b.parentElement.closest(".tabbed-block")) {
    const index = [...b.parentElement.children].indexOf(b);
    b.closest(".tabbed-set").querySelectorAll(":scope > input")[index].click();
  }
}"""


def need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CHECKER_NO_BROWSER") == "1":
        pytest.skip(f"{NO_BROWSER}; skipped because CHECKER_NO_BROWSER=1")
    pytest.fail(NO_BROWSER, pytrace=False)


@pytest.fixture(scope="session")
def _browser(tmp_path_factory):
    """(build, Browser or the error that kept it from starting); Browser is None if the build failed."""
    build = shared_build(shared_base(tmp_path_factory))
    if not build.ok or not CHROMIUM.exists():
        yield build, None
        return
    with serve(build.site) as url:
        try:
            browser = Browser(build.site, url, tmp_path_factory.mktemp("chromium-profile"))
        except Exception as exc:  # Playwright's errors: each test fails with the message
            yield build, exc
            return
        try:
            yield build, browser
        finally:
            browser.close()


@pytest.fixture
def browser(_browser, record_property) -> Browser:
    record_property("check", "browser")
    need_chromium()
    build, started = _browser
    build.require()
    if not isinstance(started, Browser):
        pytest.fail(f"mkdocs.yml:1: Chromium did not start under Playwright: {started}", pytrace=False)
    return started


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where each page's desktop and phone screenshots go, one folder for the whole run."""
    folder = run_dir(tmp_path_factory) / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


PAGES = [rel(p) for p in page_paths()]


def blocks(page: str) -> list[Example]:
    """The page's code blocks as the checker collected them, in page order (diagrams left out)."""
    return [e for e in examples() if e.page == page and e.lang != "mermaid"]


def markdown_title(page: str) -> tuple[str, str] | None:
    """(file:line, text) of the page's `# ` heading as rendered Markdown has it."""
    lines, origins, _ = render_page(ROOT / page)
    for token_index, token in enumerate(tokens := MarkdownIt("commonmark").parse("\n".join(lines))):
        if token.type == "heading_open" and token.tag == "h1" and token.map:
            inline = tokens[token_index + 1]
            text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            file, line = origins[token.map[0]][:2]
            return f"{file}:{line}", " ".join(text.split())
    return None


def code_blocks(visit: Visit, page: str) -> tuple[list, list[str]]:
    """The page's code block elements, and a problem if their number differs from the Markdown's."""
    found = visit.page.locator(CODE_BLOCKS).all()
    want = blocks(page)
    if len(found) != len(want):
        return found, [f"{page}:1: the page shows {len(found)} code blocks, its Markdown has {len(want)}"]
    return found, []


# --- each page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_works_offline(page, browser):
    with browser.visit(page_path(page), f"{page}:1") as visit:
        problems = visit.problems(f"{page}:1")
        title = markdown_title(page)
        shown = [" ".join(t.split()) for t in visit.page.evaluate(
            """() => [...document.querySelectorAll("article.md-content__inner h1")].map(h =>
                [...h.childNodes].filter(n => !(n.classList && n.classList.contains("headerlink")))
                  .map(n => n.textContent).join(""))"""
        )]
        if title is None:
            problems.append(f"{page}:1: the page has no `# ` title")
        elif title[1] not in shown:
            problems.append(f"{title[0]}: title {title[1]!r} not shown; the page's h1 reads {shown}")
        found, count = code_blocks(visit, page)
        problems += count
        for element in found:
            if element.locator("button[data-md-type=copy]").count() != 1:
                problems.append(f"{page}:1: code block {element.get_attribute('id')!r} has no copy button")
    assert not problems, "\n".join(problems)


def diagram_pages() -> set[str]:
    return {e.page for e in examples("mermaid")}


@pytest.mark.parametrize("page", PAGES)
def test_page_weight(page, browser):
    """What a reader downloads to read the page: its HTML and the scripts and stylesheets it loads.
    The search worker and index that material loads in the background are counted apart."""
    with browser.visit(page_path(page), f"{page}:1") as visit:
        weight = browser.weight(visit)
        problems = visit.problems(f"{page}:1")
    total = weight.get("html", 0) + weight.get("scripts", 0) + weight.get("stylesheets", 0)
    if page not in diagram_pages() and total > PAGE_BUDGET:
        parts = ", ".join(f"{k} {v / 1000:.0f} KB" for k, v in sorted(weight.items()))
        problems.append(f"{page}:1: the page loads {total / 1000:.0f} KB of HTML, scripts and stylesheets "
                        f"({parts}); a page without a diagram should stay within {PAGE_BUDGET / 1000:.0f} KB")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_copy_buttons_copy_the_checked_text(page, browser, record_property):
    """Each copy button puts on the clipboard exactly the text the checker validated (material
    trims trailing newlines: integrations/clipboard `extract()` ends with `trimEnd()`)."""
    with browser.visit(page_path(page), f"{page}:1", wait="load") as visit:
        found, problems = code_blocks(visit, page)
        copied = 0
        for element, example in zip(found, blocks(page)):
            element.evaluate(REVEAL_JS)
            visit.page.evaluate("navigator.clipboard.writeText('')")
            element.locator("button[data-md-type=copy]").click()
            text = visit.page.evaluate("navigator.clipboard.readText()")
            want = example.source.rstrip("\n")
            if text == want:
                copied += 1
                continue
            got, expected = text.splitlines(), want.splitlines()
            index = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            problems.append(
                f"{example.where(index)}: the copy button of {example} copies "
                f"{got[index] if index < len(got) else '(nothing more)'!r} where the checked text has "
                f"{expected[index] if index < len(expected) else '(nothing more)'!r}"
            )
    record_property("copied", (copied, len(blocks(page))))
    assert not problems, "\n".join(problems)


def sideways(visit: Visit) -> tuple[int, list[tuple[int, int]]]:
    """Pixels the page would scroll sideways, and for each code block: the pixels it would scroll
    and how many characters of a line it shows."""
    result = visit.page.evaluate(
        """selector => ({
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          code: [...document.querySelectorAll(selector)].map(pre => {
            const code = pre.querySelector(":scope > code");
            const probe = code.appendChild(document.createElement("span"));
            probe.textContent = "0".repeat(100);
            const char = probe.getBoundingClientRect().width / 100;
            probe.remove();
            const style = getComputedStyle(code);
            const width = code.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [code.scrollWidth - code.clientWidth, Math.floor(width / char)];
          }),
        })""",
        CODE_BLOCKS,
    )
    return result["page"], result["code"]


@pytest.mark.parametrize("page", PAGES)
def test_desktop_nothing_scrolls_sideways(page, browser, screenshots, record_property):
    record_property("screenshots", str(screenshots))
    with browser.visit(page_path(page), f"{page}:1", viewport=DESKTOP, wait="load") as visit:
        visit.page.screenshot(path=screenshots / f"{page_path(page).strip('/') or 'index'}-desktop.png")
        for element in visit.page.locator(CODE_BLOCKS).all():
            element.evaluate(REVEAL_JS)
        page_px, code_px = sideways(visit)
        problems = visit.problems(f"{page}:1")
    size = f"{DESKTOP['width']}x{DESKTOP['height']}"
    if page_px > 0:
        problems.append(f"{page}:1: at {size} the page scrolls sideways by {page_px} px")
    for example, (px, fits) in zip(blocks(page), code_px):
        if px > 0:
            long = [i for i, line in enumerate(example.source.splitlines()) if len(line) > fits]
            problems += [f"{example.where(i)}: at {size} the code block shows {fits} characters of a line; "
                         f"this line has {len(example.source.splitlines()[i])}" for i in long]
            if not long:
                problems.append(f"{example.where(0)}: at {size} the code block of {example} scrolls sideways by {px} px")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_phone_page_fits_and_navigation_opens(page, browser, screenshots, record_property):
    record_property("screenshots", str(screenshots))
    size = f"{PHONE['width']}x{PHONE['height']}"
    with browser.visit(page_path(page), f"{page}:1", viewport=PHONE, wait="load") as visit:
        visit.page.screenshot(path=screenshots / f"{page_path(page).strip('/') or 'index'}-phone.png")
        page_px, _ = sideways(visit)
        problems = visit.problems(f"{page}:1")
        if page_px > 0:
            problems.append(f"{page}:1: at {size} the page scrolls sideways by {page_px} px")
        drawer = visit.page.locator("nav.md-nav--primary")
        menu = visit.page.locator("label.md-header__button[for=__drawer]")
        if not menu.is_visible():
            problems.append(f"mkdocs.yml:1: at {size} {page} shows no navigation menu button")
        else:
            menu.click()
            try:  # material slides the drawer in with a CSS transition
                visit.page.wait_for_function(
                    """() => { const r = document.querySelector("nav.md-nav--primary").getBoundingClientRect();
                               return r.left >= 0 && r.right > 0 && r.width > 0; }""",
                    timeout=5000,
                )
            except PlaywrightError:
                box = drawer.bounding_box()
                problems.append(f"mkdocs.yml:1: at {size} the navigation drawer of {page} did not open "
                                f"(its navigation is at {box})")
    assert not problems, "\n".join(problems)


CONTRAST_JS = """selector => {
  const rgba = text => { const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number); return [r, g, b, a]; };
  const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (x, y) => { const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
  const page = over(rgba(getComputedStyle(document.body).backgroundColor), [255, 255, 255]);
  return [...document.querySelectorAll(selector)].map(pre => {
    const code = pre.querySelector(":scope > code");
    const background = over(rgba(getComputedStyle(code).backgroundColor), page);
    const seen = new Map();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const style = getComputedStyle(node.parentElement);
      let back = background;
      for (let el = node.parentElement; el && el !== code; el = el.parentElement) {
        const own = rgba(getComputedStyle(el).backgroundColor);
        if (own[3] > 0) { back = over(own, background); break; }
      }
      const color = over(rgba(style.color), back);
      const value = ratio(color, back);
      const key = `${node.parentElement.className || "text"} ${style.color}`;
      if (!seen.has(key) || seen.get(key).ratio > value)
        seen.set(key, { ratio: value, sample: node.textContent.trim().slice(0, 30) });
    }
    return [...seen].map(([key, { ratio, sample }]) => ({ key, ratio, sample }));
  });
}"""


@pytest.mark.parametrize("page", PAGES)
def test_dark_mode_code_is_readable(page, browser):
    with browser.visit(page_path(page), f"{page}:1", wait="load") as visit:
        toggle = visit.page.locator("form[data-md-component=palette] label[title='Switch to dark mode']")
        if not toggle.is_visible():
            pytest.fail(f"mkdocs.yml:1: {page} shows no 'Switch to dark mode' toggle", pytrace=False)
        toggle.click()
        scheme = visit.page.get_attribute("body", "data-md-color-scheme")
        problems = visit.problems(f"{page}:1")
        if scheme != "slate":
            problems.append(f"mkdocs.yml:1: the palette toggle on {page} switched to {scheme!r}, not 'slate'")
        for element in visit.page.locator(CODE_BLOCKS).all():
            element.evaluate(REVEAL_JS)
        found = visit.page.evaluate(CONTRAST_JS, CODE_BLOCKS)
    for example, colours in zip(blocks(page), found):
        problems += [
            f"{example.where(0)}: in dark mode, code text {c['sample']!r} ({c['key']}) has contrast "
            f"{c['ratio']:.2f}:1 with the code background, below {MIN_CONTRAST}:1"
            for c in colours
            if c["ratio"] < MIN_CONTRAST
        ]
    assert not problems, "\n".join(problems)


@functools.cache
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("page", PAGES)
def test_accessibility(page, browser):
    """axe-core (the copy bundled by axe-playwright-python, injected into the page) finds no
    serious or critical violation."""
    with browser.visit(page_path(page), f"{page}:1", wait="load") as visit:
        results = axe().run(visit.page).response
        problems = visit.problems(f"{page}:1")
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
            problems.append(
                f"{page}:1: axe {violation['impact']} {violation['id']}: {violation['help']} "
                f"({len(targets)} elements: {'; '.join(targets[:5])}{' ...' if len(targets) > 5 else ''})"
            )
    assert not problems, "\n".join(problems)


# --- diagrams ----------------------------------------------------------------------------------

MERMAID = examples("mermaid")


@pytest.mark.parametrize("example", MERMAID or [None], ids=lambda e: str(e) if e else "none")
def test_mermaid_diagram_renders_offline(example, browser, record_property):
    """material swaps a `pre.mermaid` for its diagram host only after mermaid.render() gave SVG."""
    if example is None:
        pytest.skip("no page shows a mermaid diagram")
    record_property("example", str(example))
    fences = [e for e in MERMAID if e.page == example.page]
    with browser.visit(page_path(example.page), example.where(0)) as visit:
        # material draws each diagram into the closed shadow root of a new `div.mermaid`, which
        # replaces the fence's `pre.mermaid` only once mermaid.render() gave SVG.
        with contextlib.suppress(PlaywrightError):
            visit.page.wait_for_function(
                "n => document.querySelectorAll('article.md-content__inner div.mermaid').length >= n",
                arg=len(fences),
                timeout=10000,
            )
        shown = visit.page.evaluate(
            """() => [...document.querySelectorAll("article.md-content__inner .mermaid")]
                 .filter(e => e.tagName === "PRE" || e.tagName === "DIV")
                 .map(e => e.tagName === "DIV" && e.getBoundingClientRect().height > 0)"""
        )
        problems = visit.problems(example.where(0))
    # material replaces each fence in place, so the n-th diagram element belongs to the n-th fence.
    if len(shown) != len(fences):
        problems.append(f"{example.where(0)}: {len(shown)} diagrams on the page, {len(fences)} mermaid fences")
    elif not shown[fences.index(example)]:
        why = "; ".join(visit.errors) or "no error in the console"
        problems.append(f"{example.where(0)}: the diagram was not rendered ({why})")
    assert not problems, "\n".join(problems)


# --- the search box ----------------------------------------------------------------------------


def pasted_lines() -> list:
    """(example, line index, text) of the first line of each quoted error: what a reader pastes."""
    found = []
    for example in examples():
        if example.page == TROUBLESHOOTING and "reproduces" in example.markers:
            lines = example.source.splitlines()
            index = next((i for i, line in enumerate(lines) if line.strip()), 0)
            found.append(pytest.param(example, index, lines[index].strip(), id=str(example)))
    return found


def ids(line: str) -> str:
    return re.sub(r"\d+", "<id>", line)


ENTRY_JS = """([selector, index]) => {
  let entry = "";
  const block = document.querySelectorAll(selector)[index];
  for (const el of document.querySelectorAll(`article.md-content__inner h2, ${selector}`)) {
    if (el.tagName === "H2") entry = el.id;
    if (el === block) return entry;
  }
  return null;
}"""


@pytest.mark.parametrize(("example", "index", "text"), pasted_lines() or [pytest.param(None, 0, "", id="none")])
def test_search_finds_pasted_error(example, index, text, browser, record_property):
    """Paste the line into the search box of the troubleshooting page, as its first paragraph asks:
    the first result is that page, and its first section is the entry quoting the line (or another
    entry quoting the same line but for the example ids: the line cannot tell them apart)."""
    if example is None:
        pytest.skip(f'{TROUBLESHOOTING}: no block is marked <!-- check: reproduces="..." -->')
    record_property("example", str(example))
    where = example.where(index)
    shown = blocks(TROUBLESHOOTING)
    # The page's project and group ids (42, 43, 7) stand for the reader's own: lines that differ
    # only in them are the same line to a reader.
    same_line = [shown.index(e) for e, _, line in (p.values for p in pasted_lines()) if ids(line) == ids(text)]
    with browser.visit(page_path(TROUBLESHOOTING), where, wait="load") as visit:
        page = visit.page
        entry = page.evaluate(ENTRY_JS, [CODE_BLOCKS, shown.index(example)])
        entries = {page.evaluate(ENTRY_JS, [CODE_BLOCKS, i]) for i in same_line}
        page.evaluate("text => navigator.clipboard.writeText(text)", text)
        page.locator("input.md-search__input").click()
        page.keyboard.press("ControlOrMeta+V")
        pasted = page.locator("input.md-search__input").input_value()
        page.wait_for_selector("li.md-search-result__item", timeout=10000)
        first = page.locator("li.md-search-result__item").first.locator("a.md-search-result__link")
        # Each link is the page's URL, `?h=` and the matched words (to highlight), then `#entry`.
        links = first.evaluate_all("links => links.map(a => a.origin + a.pathname + a.hash)")
        problems = visit.problems(where)
    want = visit.url.split("?")[0]
    if pasted != text:
        problems.append(f"{where}: pasting into the search box gave {pasted!r}")
    elif not links or links[0] != want:
        problems.append(f"{where}: searching for {text!r} gives {links[:1]} first, not {want}")
    elif len(links) < 2 or links[1] not in {f"{want}#{e}" for e in entries}:
        first_section = links[1] if len(links) > 1 else "no section"
        problems.append(f"{where}: searching for {text!r} shows {first_section} first, not its entry #{entry}")
    assert not problems, "\n".join(problems)

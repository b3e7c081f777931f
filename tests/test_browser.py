"""The built site as a reader gets it: Debian's Chromium, driven by Playwright, offline.

The site is built once per test run and served on a loopback port; the browser starts once per
worker; each page is opened in a fresh tab with every request that is not for that server aborted
and written down. Each check of each page is its own test item: it works offline and shows its
title and a copy button per code block; it weighs at most PAGE_BUDGET unless it shows a diagram;
every copy button copies exactly the text the checker validated; at 1280x800 nothing scrolls
sideways; at 390x844 the page does not scroll sideways and the navigation drawer opens; in dark
mode code text is readable; axe-core finds no serious or critical accessibility problem; its
diagrams render. Each quoted error, pasted into the search box of the troubleshooting page, brings
up that page first with its entry. A desktop and a phone screenshot of every page are kept for a
person to look at (the summary names the folder).

Cost: a page's checks share two visits, one at 1280x800 (every check but the phone's, in the order
of `page_checks`, so that no check acts on the page before one that must see it as loaded) and one
at 390x844; the search lines share one loaded troubleshooting page. Their results are computed once
per run by whichever process first needs them (harness/site.py `once`: a file lock, so items of one
page may run on different xdist workers, in any order, or with `-p no:xdist`), and each item
reports its own check's problems: the off-site requests and script errors of the page's load and
of its own actions (harness/browser.py `Visit.check`), then what it found.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from markdown_it import MarkdownIt
from playwright.sync_api import Error as PlaywrightError

from harness.browser import CHROMIUM, DESKTOP, PHONE, Browser, Visit, failure
from harness.collect import ROOT, Example, examples, page_paths, render_page
from harness.site import once, page_path, run_dir, serve, shared_base, shared_build

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
# REVEAL_JS on every element the selector finds, in page order.
REVEAL_ALL_JS = f"selector => document.querySelectorAll(selector).forEach({REVEAL_JS})"


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


class Results:
    """The checks' results, computed once per run by the first process that asks (`once`). A
    process that finds a page (or the search) being computed by another computes one that nobody
    has started meanwhile, so xdist workers that reach the same page at once split the work
    instead of waiting for each other, whatever order they run the items in."""

    def __init__(self, browser: Browser, folder: Path, screenshots: Path, wanted: set[str]) -> None:
        self.folder = folder
        self.work = {page: functools.partial(page_checks, browser, page, screenshots) for page in PAGES}
        self.work["search"] = functools.partial(search_checks, browser)
        self.wanted = [name for name in self.work if name in wanted]

    def page(self, page: str) -> dict:
        """page_checks(page)."""
        return self._get(page)

    def search(self) -> dict[str, list[str]]:
        """search_checks()."""
        return self._get("search")

    def _file(self, name: str) -> Path:
        return self.folder / f"{name.replace('/', '-')}.json"

    def _get(self, name: str) -> dict:
        while (found := once(self._file(name), self.work[name], wait=False)) is None:
            if not self._compute_another():
                return once(self._file(name), self.work[name])
        return found

    def _compute_another(self) -> bool:
        """Compute the results of a page (or the search) nobody has started; False if none is left."""
        for other in self.wanted:
            if not self._file(other).exists():
                try:
                    if once(self._file(other), self.work[other], wait=False) is not None:
                        return True
                except Exception:  # noqa: BLE001 - nothing is written: its own items run it again and fail
                    return True
        return False


def reads(item: pytest.Item) -> str | None:
    """The results a test item of this module reads: a page's, or "search"."""
    params = item.callspec.params if isinstance(item, pytest.Function) and hasattr(item, "callspec") else {}
    if item.path != Path(__file__) or not params:
        return None
    if "page" in params:
        return params["page"]
    if params.get("example") is None:
        return None
    return "search" if item.originalname == "test_search_finds_pasted_error" else params["example"].page


@pytest.fixture(scope="session")
def wanted(request) -> set[str]:
    """The results this run's items read (after -k and the like): the only ones worth computing."""
    return {name for item in request.session.items if (name := reads(item))}


@pytest.fixture
def results(browser, tmp_path_factory, screenshots, wanted) -> Results:
    return Results(browser, run_dir(tmp_path_factory) / "browser-checks", screenshots, wanted)


def report(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


PAGES = [rel(p) for p in page_paths()]
MERMAID = examples("mermaid")


def key(example: Example) -> str:
    """An example's fence, file:line (str(example) names an included snippet, which may repeat)."""
    return f"{example.page}:{example.line}"


def blocks(page: str) -> list[Example]:
    """The page's code blocks as the checker collected them, in page order (diagrams left out)."""
    return [e for e in examples() if e.page == page and e.lang != "mermaid"]


# --- one page, every check -----------------------------------------------------------------------

DESKTOP_CHECKS = ("axe", "offline", "weight", "desktop", "copy", "dark")


def page_checks(browser: Browser, page: str, screenshots: Path) -> dict:
    """Every check of `page`: {check: problems}, "mermaid": {fence: problems}, "copied": [n, of].

    One visit at 1280x800 for all checks but the phone's. axe-core looks at the page as soon as
    it has loaded; then, once the network has been idle for 500 ms (so its weight is everything it
    loads and its load's off-site requests are all in), the checks that only look (weight, title
    and copy buttons, diagrams), then those that act on it: the sideways check opens every block,
    the copy check clicks each button, the dark-mode check switches the palette last. The phone
    check gets its own visit at 390x844, loaded like a phone loads it.
    """
    where, name = f"{page}:1", page_path(page).strip("/") or "index"
    url = browser.base_url + page_path(page)
    fences = [e for e in MERMAID if e.page == page]
    results: dict = {"copied": [0, len(blocks(page))]}
    try:
        with browser.visit(page_path(page), wait="load") as visit:
            results["axe"] = visit.check(where, accessibility, page)
            visit.settle()  # mostly over by now: axe-core takes longer than 500 idle ms
            weight = browser.weight(visit)
            visit.page.screenshot(path=screenshots / f"{name}-desktop.png")
            results["offline"] = visit.check(where, title_and_copy_buttons, page)
            results["weight"] = visit.check(where, too_heavy, page, weight)
            results["mermaid"] = {key(e): visit.check(e.where(0), diagram, fences, e) for e in fences}
            results["desktop"] = visit.check(where, desktop_sideways, page)
            copied: list[Example] = []
            results["copy"] = visit.check(where, copy_buttons, page, copied)
            results["copied"][0] = len(copied)
            results["dark"] = visit.check(where, dark_mode, page)
    except PlaywrightError as exc:  # the page did not load: each check left fails with that
        for check in DESKTOP_CHECKS:
            results.setdefault(check, [failure(where, url, exc)])
        results.setdefault("mermaid", {key(e): [failure(e.where(0), url, exc)] for e in fences})
    try:
        with browser.visit(page_path(page), viewport=PHONE, wait="load") as visit:
            visit.page.screenshot(path=screenshots / f"{name}-phone.png")
            results["phone"] = visit.check(where, phone, page)
    except PlaywrightError as exc:
        results["phone"] = [failure(where, url, exc)]
    return results


# --- each page ---------------------------------------------------------------------------------


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


def title_and_copy_buttons(visit: Visit, page: str) -> list[str]:
    problems = []
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
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_page_works_offline(page, results):
    report(results.page(page)["offline"])


def diagram_pages() -> set[str]:
    return {e.page for e in MERMAID}


def too_heavy(visit: Visit, page: str, weight: dict[str, int]) -> list[str]:
    """More than PAGE_BUDGET of HTML, scripts and stylesheets (`weight`: what the page loaded)."""
    total = weight.get("html", 0) + weight.get("scripts", 0) + weight.get("stylesheets", 0)
    if page not in diagram_pages() and total > PAGE_BUDGET:
        parts = ", ".join(f"{k} {v / 1000:.0f} KB" for k, v in sorted(weight.items()))
        return [f"{page}:1: the page loads {total / 1000:.0f} KB of HTML, scripts and stylesheets "
                f"({parts}); a page without a diagram should stay within {PAGE_BUDGET / 1000:.0f} KB"]
    return []


@pytest.mark.parametrize("page", PAGES)
def test_page_weight(page, results):
    """What a reader downloads to read the page: its HTML and the scripts and stylesheets it loads.
    The search worker and index that material loads in the background are counted apart."""
    report(results.page(page)["weight"])


def copy_buttons(visit: Visit, page: str, copied: list[Example]) -> list[str]:
    found, problems = code_blocks(visit, page)
    for element, example in zip(found, blocks(page)):
        element.evaluate(f"el => {{ ({REVEAL_JS})(el); return navigator.clipboard.writeText(''); }}")
        element.locator("button[data-md-type=copy]").click()
        text = visit.page.evaluate("navigator.clipboard.readText()")
        want = example.source.rstrip("\n")
        if text == want:
            copied.append(example)
            continue
        got, expected = text.splitlines(), want.splitlines()
        index = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        problems.append(
            f"{example.where(index)}: the copy button of {example} copies "
            f"{got[index] if index < len(got) else '(nothing more)'!r} where the checked text has "
            f"{expected[index] if index < len(expected) else '(nothing more)'!r}"
        )
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_copy_buttons_copy_the_checked_text(page, results, record_property):
    """Each copy button puts on the clipboard exactly the text the checker validated (material
    trims trailing newlines: integrations/clipboard `extract()` ends with `trimEnd()`)."""
    checked = results.page(page)
    record_property("copied", tuple(checked["copied"]))
    report(checked["copy"])


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


def desktop_sideways(visit: Visit, page: str) -> list[str]:
    visit.page.evaluate(REVEAL_ALL_JS, CODE_BLOCKS)
    page_px, code_px = sideways(visit)
    size = f"{DESKTOP['width']}x{DESKTOP['height']}"
    problems = []
    if page_px > 0:
        problems.append(f"{page}:1: at {size} the page scrolls sideways by {page_px} px")
    for example, (px, fits) in zip(blocks(page), code_px):
        if px > 0:
            long = [i for i, line in enumerate(example.source.splitlines()) if len(line) > fits]
            problems += [f"{example.where(i)}: at {size} the code block shows {fits} characters of a line; "
                         f"this line has {len(example.source.splitlines()[i])}" for i in long]
            if not long:
                problems.append(f"{example.where(0)}: at {size} the code block of {example} scrolls sideways by {px} px")
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_desktop_nothing_scrolls_sideways(page, results, screenshots, record_property):
    record_property("screenshots", str(screenshots))
    report(results.page(page)["desktop"])


def phone(visit: Visit, page: str) -> list[str]:
    size = f"{PHONE['width']}x{PHONE['height']}"
    problems = []
    page_px, _ = sideways(visit)
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
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_phone_page_fits_and_navigation_opens(page, results, screenshots, record_property):
    record_property("screenshots", str(screenshots))
    report(results.page(page)["phone"])


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


def dark_mode(visit: Visit, page: str) -> list[str]:
    toggle = visit.page.locator("form[data-md-component=palette] label[title='Switch to dark mode']")
    if not toggle.is_visible():
        return [f"mkdocs.yml:1: {page} shows no 'Switch to dark mode' toggle"]
    toggle.click()
    scheme = visit.page.get_attribute("body", "data-md-color-scheme")
    problems = []
    if scheme != "slate":
        problems.append(f"mkdocs.yml:1: the palette toggle on {page} switched to {scheme!r}, not 'slate'")
    visit.page.evaluate(REVEAL_ALL_JS, CODE_BLOCKS)
    found = visit.page.evaluate(CONTRAST_JS, CODE_BLOCKS)
    for example, colours in zip(blocks(page), found):
        problems += [
            f"{example.where(0)}: in dark mode, code text {c['sample']!r} ({c['key']}) has contrast "
            f"{c['ratio']:.2f}:1 with the code background, below {MIN_CONTRAST}:1"
            for c in colours
            if c["ratio"] < MIN_CONTRAST
        ]
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_dark_mode_code_is_readable(page, results):
    report(results.page(page)["dark"])


@functools.cache
def axe() -> Axe:
    return Axe()


def accessibility(visit: Visit, page: str) -> list[str]:
    problems = []
    for violation in axe().run(visit.page).response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
            problems.append(
                f"{page}:1: axe {violation['impact']} {violation['id']}: {violation['help']} "
                f"({len(targets)} elements: {'; '.join(targets[:5])}{' ...' if len(targets) > 5 else ''})"
            )
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_accessibility(page, results):
    """axe-core (the copy bundled by axe-playwright-python, injected into the page) finds no
    serious or critical violation."""
    report(results.page(page)["axe"])


# --- diagrams ----------------------------------------------------------------------------------


def diagram(visit: Visit, fences: list[Example], example: Example) -> list[str]:
    """material swaps a `pre.mermaid` for its diagram host only after mermaid.render() gave SVG."""
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
    # material replaces each fence in place, so the n-th diagram element belongs to the n-th fence.
    if len(shown) != len(fences):
        return [f"{example.where(0)}: {len(shown)} diagrams on the page, {len(fences)} mermaid fences"]
    if not shown[fences.index(example)]:
        why = "; ".join(visit.errors) or "no error in the console"
        return [f"{example.where(0)}: the diagram was not rendered ({why})"]
    return []


@pytest.mark.parametrize("example", MERMAID or [None], ids=lambda e: str(e) if e else "none")
def test_mermaid_diagram_renders_offline(example, results, record_property):
    if example is None:
        pytest.skip("no page shows a mermaid diagram")
    record_property("example", str(example))
    report(results.page(example.page)["mermaid"][key(example)])


# --- the search box ----------------------------------------------------------------------------


def pasted_lines() -> list[tuple[Example, int, str]]:
    """(example, line index, text) of the first line of each quoted error: what a reader pastes."""
    found = []
    for example in examples():
        if example.page == TROUBLESHOOTING and "reproduces" in example.markers:
            lines = example.source.splitlines()
            index = next((i for i, line in enumerate(lines) if line.strip()), 0)
            found.append((example, index, lines[index].strip()))
    return found


def ids(line: str) -> str:
    return re.sub(r"\d+", "<id>", line)


# For each code block the selector finds: the id of the last h2 above it (its entry), or "".
ENTRIES_JS = """selector => {
  let entry = "";
  const found = new Map();
  for (const el of document.querySelectorAll(`article.md-content__inner h2, ${selector}`)) {
    if (el.tagName === "H2") entry = el.id;
    else found.set(el, entry);
  }
  return [...document.querySelectorAll(selector)].map(block => found.get(block));
}"""


def search_checks(browser: Browser) -> dict[str, list[str]]:
    """Each pasted line's problems, by key(example), all on one loaded troubleshooting page; only a
    line that failed makes the next one start from a newly loaded page, so that a failure cannot
    leave the search box in a state another line would inherit."""
    lines, shown = pasted_lines(), blocks(TROUBLESHOOTING)
    results, pending = {}, list(lines)
    while pending:
        try:
            with browser.visit(page_path(TROUBLESHOOTING), wait="load") as visit:
                found = visit.page.evaluate(ENTRIES_JS, CODE_BLOCKS)
                entry = {key(e): found[i] if i < len(found) else None for i, e in enumerate(shown)}
                while pending:
                    example, index, text = pending.pop(0)
                    # The page's project and group ids (42, 43, 7) stand for the reader's own: lines
                    # that differ only in them are the same line to a reader.
                    same = {entry[key(e)] for e, _, line in lines if ids(line) == ids(text)}
                    where = example.where(index)
                    results[key(example)] = visit.check(where, search, where, text, entry[key(example)], same)
                    if results[key(example)]:
                        break
        except PlaywrightError as exc:  # the page did not load
            url = browser.base_url + page_path(TROUBLESHOOTING)
            results |= {key(e): [failure(e.where(i), url, exc)] for e, i, _ in pending}
            pending = []
    return results


def search(visit: Visit, where: str, text: str, entry: str | None, entries: set[str | None]) -> list[str]:
    """Empty the search box as a reader would (select all, Backspace) and wait until the last
    line's results are gone, then paste `text` with Ctrl+V: the first result is the page, and its
    first section is `entry` (or another of `entries`, which quote the same line)."""
    page = visit.page
    box = page.locator("input.md-search__input")
    box.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Backspace")
    page.wait_for_function("() => !document.querySelector('li.md-search-result__item')")
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("ControlOrMeta+V")
    pasted = box.input_value()
    page.wait_for_selector("li.md-search-result__item", timeout=10000)
    first = page.locator("li.md-search-result__item").first.locator("a.md-search-result__link")
    # Each link is the page's URL, `?h=` and the matched words (to highlight), then `#entry`.
    links = first.evaluate_all("links => links.map(a => a.origin + a.pathname + a.hash)")
    want = visit.url.split("?")[0]
    if pasted != text:
        return [f"{where}: pasting into the search box gave {pasted!r}"]
    if not links or links[0] != want:
        return [f"{where}: searching for {text!r} gives {links[:1]} first, not {want}"]
    if len(links) < 2 or links[1] not in {f"{want}#{e}" for e in entries}:
        first_section = links[1] if len(links) > 1 else "no section"
        return [f"{where}: searching for {text!r} shows {first_section} first, not its entry #{entry}"]
    return []


@pytest.mark.parametrize(
    "example", [pytest.param(e, id=str(e)) for e, _, _ in pasted_lines()] or [pytest.param(None, id="none")]
)
def test_search_finds_pasted_error(example, results, record_property):
    """Paste the line into the search box of the troubleshooting page, as its first paragraph asks:
    the first result is that page, and its first section is the entry quoting the line (or another
    entry quoting the same line but for the example ids: the line cannot tell them apart)."""
    if example is None:
        pytest.skip(f'{TROUBLESHOOTING}: no block is marked <!-- check: reproduces="..." -->')
    record_property("example", str(example))
    report(results.search()[key(example)])

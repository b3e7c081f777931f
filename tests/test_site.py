"""The built site works offline: strict build, no off-site asset, local mermaid, searchable errors.

Static checks of `mkdocs build --strict` output. What scripts do at run time (the mermaid fallback
to a CDN, any fetch) is proven in a browser by test_browser.py, which traps every off-site request.
"""

from __future__ import annotations

import functools
import html
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from harness.collect import ROOT, examples
from harness.gitlab import walk
from harness.site import Build, build, once, page_path, shared_base, shared_build

TROUBLESHOOTING = "docs/troubleshooting.md"
VENDORED_MERMAID = "assets/javascripts/mermaid.min.js"
# <link rel=...> values that make the browser fetch the target (canonical, prev, next do not).
LOADING_RELS = {
    "stylesheet", "preload", "prefetch", "modulepreload", "preconnect", "dns-prefetch",
    "icon", "shortcut", "apple-touch-icon", "manifest", "mask-icon",
}
# Attributes that load what they name, by tag.
LOADING_ATTRS = {
    "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"), "iframe": ("src",),
    "embed": ("src",), "object": ("data",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "input": ("src",), "image": ("href",), "use": ("href",),
}
OFFSITE_RE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
CSS_URL_RE = re.compile(r"""@import\s+(?:url\(\s*)?['"]?(?P<a>[^'")\s;]+)|url\(\s*['"]?(?P<b>[^'")\s]+)""", re.I)


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> Build:
    return shared_build(shared_base(tmp_path_factory))


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "site")


def source_of(html_file: str) -> str:
    """The page a built HTML file comes from (file:line for messages); mkdocs.yml for theme files."""
    rel = html_file.removesuffix("index.html").removesuffix("/")
    for candidate in (f"docs/{rel}.md", f"docs/{rel}/index.md" if rel else "docs/index.md"):
        if (ROOT / candidate).is_file():
            return f"{candidate}:1"
    return "mkdocs.yml:1"


def css_offsite(text: str) -> list[tuple[int, str]]:
    """(line, url) of every @import or url(...) in CSS text that points off-site."""
    found = []
    for m in CSS_URL_RE.finditer(text):
        url = m["a"] or m["b"]
        if OFFSITE_RE.match(url):
            found.append((text.count("\n", 0, m.start()) + 1, url))
    return found


class AssetFinder(HTMLParser):
    """Every reference in an HTML page that makes a browser fetch something, with its line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.assets: list[tuple[int, str, str]] = []  # (line, what, url)
        self.scripts: list[tuple[int, dict[str, str]]] = []  # (line, attrs) of <script src>
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        line, a = self.getpos()[0], {k: v or "" for k, v in attrs}
        if tag == "link" and LOADING_RELS & set(a.get("rel", "").lower().split()):
            self.assets.append((line, f'<link rel="{a["rel"]}">', a.get("href", "")))
        for name in LOADING_ATTRS.get(tag, ()):
            for url in a.get(name, "").split(","):  # srcset: "url size, url size"
                if url.strip():
                    self.assets.append((line, f"<{tag} {name}>", url.split()[0]))
        if tag == "script" and "src" in a:
            self.scripts.append((line, a))
        for n, url in css_offsite(a.get("style", "")):
            self.assets.append((line, f"<{tag} style>", url))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            for n, url in css_offsite(data):
                self.assets.append((self.getpos()[0] + n - 1, "<style>", url))


@functools.cache
def config():
    from mkdocs.config import load_config

    return load_config(str(ROOT / "mkdocs.yml"))


def resolve(name: str, ref: str) -> str:
    """Path within the site that `ref` on page `name` points at (404.html uses site_url's path)."""
    base = urlparse(config()["site_url"] or "/").path.rstrip("/") + "/"
    path = urlparse(urljoin(base + name, ref)).path
    return path.removeprefix(base) if path.startswith(base) else path


def html_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


@functools.cache
def scan(path: Path) -> AssetFinder:
    finder = AssetFinder()
    finder.feed(path.read_text())
    return finder


def test_site_builds_strictly(site_build, record_property):
    site_build.require()
    record_property("build_seconds", round(site_build.seconds, 2))
    assert (site_build.site / "index.html").is_file(), "mkdocs.yml:1: the build made no index.html"


def nav_pages() -> list[str]:
    """docs/... paths of every page the nav lists (mkdocs' own reading of mkdocs.yml)."""
    pages = [item for item in walk(config()["nav"] or []) if isinstance(item, str)]
    return [f"docs/{p}" for p in pages if not OFFSITE_RE.match(p)]


def test_every_nav_page_is_built(site_build):
    site = site_build.require()
    pages = nav_pages()
    assert pages, "mkdocs.yml:1: nav lists no page"
    missing = [p for p in pages if not (site / page_path(p) / "index.html").is_file()]
    assert not missing, "\n".join(f"{p}:1: listed in nav but not built to {page_path(p)}index.html" for p in missing)


def test_every_page_is_built(site_build):
    site = site_build.require()
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md"))
    missing = [p for p in pages if not (site / page_path(p) / "index.html").is_file()]
    assert not missing, "\n".join(f"{p}:1: not built to {page_path(p)}index.html" for p in missing)


def test_html_loads_no_offsite_asset(site_build):
    site = site_build.require()
    names = html_files(site)
    assert names, "mkdocs.yml:1: the build made no HTML"
    found: dict[tuple[str, str], list[str]] = {}  # (what, url) -> ["page.html:line", ...]
    for name in names:
        for line, what, url in scan(site / name).assets:
            if OFFSITE_RE.match(url):
                found.setdefault((what, url), []).append(f"{name}:{line}")
    problems = []
    for (what, url), places in found.items():
        if len(places) == len(names):  # on every page: the theme or mkdocs.yml put it there
            problems.append(f"mkdocs.yml:1: every page ({places[0]}, ...): {what} loads an off-site asset: {url}")
        else:
            problems += [f"{source_of(p.split(':')[0])}: {p}: {what} loads an off-site asset: {url}" for p in places]
    assert not problems, "\n".join(problems)


def test_css_loads_no_offsite_asset(site_build):
    site = site_build.require()
    sheets = sorted(site.rglob("*.css"))
    assert sheets, "mkdocs.yml:1: the build has no stylesheet (theme missing?)"
    problems = [
        f"mkdocs.yml:1: {css.relative_to(site)}:{line}: loads an off-site asset: {url}"
        for css in sheets
        for line, url in css_offsite(css.read_text(errors="replace"))
    ]
    assert not problems, "\n".join(problems)


def test_theme_font_is_off(site_build):
    """material writes `--md-text-font` (and links Google Fonts) when a font is set."""
    site = site_build.require()
    problems = [
        f"mkdocs.yml:1: {name} sets a web font (--md-text-font); set `theme.font: false`"
        for name in html_files(site)
        if "--md-text-font" in (site / name).read_text()
    ]
    assert not problems, "\n".join(problems)


def diagram_pages() -> set[str]:
    """Built HTML files of the pages whose Markdown has a mermaid fence."""
    return {page_path(e.page) + "index.html" for e in examples("mermaid")}


def test_mermaid_is_served_only_where_diagrams_are(site_build):
    """Pages with a diagram load the vendored mermaid.js, so material never falls back to its CDN
    copy; pages without one do not load it (3.5 MB for nothing).

    material's diagram code runs on DOMContentLoaded and fetches
    https://unpkg.com/mermaid@11/dist/mermaid.min.js only when `mermaid` is undefined then; a
    parser-blocking or deferred script runs before that event, an `async` one may not.
    """
    site = site_build.require()
    vendored = ROOT / "docs" / VENDORED_MERMAID
    assert vendored.is_file(), f"docs/{VENDORED_MERMAID}:1: the vendored mermaid.js is missing"
    assert (site / VENDORED_MERMAID).read_bytes() == vendored.read_bytes(), (
        f"docs/{VENDORED_MERMAID}:1: the built site does not serve this file as {VENDORED_MERMAID}"
    )
    with_diagram = diagram_pages()
    problems = []
    for name in html_files(site):
        scripts = scan(site / name).scripts
        if not any(resolve(name, a["src"]).startswith("assets/javascripts/bundle.") for _, a in scripts):
            continue  # not a material page
        mermaid = [(line, a) for line, a in scripts if "mermaid" in a["src"].lower()]
        local = [(line, a) for line, a in mermaid if resolve(name, a["src"]) == VENDORED_MERMAID]
        if name in with_diagram and not local:
            problems.append(f"{source_of(name)}: {name} shows a diagram, but no <script src> loads "
                            f"{VENDORED_MERMAID} (docs/overrides/main.html)")
        if name not in with_diagram and local:
            problems.append(f"{source_of(name)}: {name} has no diagram, but loads {VENDORED_MERMAID} "
                            "(docs/overrides/main.html)")
        problems += [
            f"docs/overrides/main.html:1: {name}:{line}: mermaid script must not be async (it would run "
            "after material looks for `mermaid`)"
            for line, a in local
            if "async" in a
        ]
        problems += [
            f"mkdocs.yml:1: {name}:{line}: mermaid loaded from elsewhere: {a['src']}"
            for line, a in mermaid
            if (line, a) not in local
        ]
    assert not problems, "\n".join(problems)


# --- the search index --------------------------------------------------------------------------


def reproduced_blocks() -> list:
    """Blocks on the troubleshooting page that quote an error the checker reproduces."""
    return [e for e in examples() if e.page == TROUBLESHOOTING and "reproduces" in e.markers]


@functools.cache
def indexed_text(site: Path, prefix: str) -> str:
    """The plain text the search index holds for locations under `prefix` (titles and bodies)."""
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return ""
    docs = json.loads(index.read_text())["docs"]
    parts = [f"{d['title']}\n{d['text']}" for d in docs if d["location"].startswith(prefix)]
    return html.unescape(re.sub(r"<[^>]+>", "", "\n".join(parts)))


@pytest.mark.parametrize("example", reproduced_blocks() or [None], ids=lambda e: str(e) if e else "none")
def test_search_index_has_quoted_error(example, site_build, record_property):
    if example is None:
        if not (ROOT / TROUBLESHOOTING).is_file():
            pytest.skip(f"{TROUBLESHOOTING} does not exist yet")
        pytest.skip(f'{TROUBLESHOOTING}: no block is marked <!-- check: reproduces="..." -->')
    record_property("example", str(example))
    site = site_build.require()
    text = indexed_text(site, page_path(TROUBLESHOOTING))
    assert (site / "search" / "search_index.json").is_file(), (
        "mkdocs.yml:1: the build has no search/search_index.json (is the search plugin on?)"
    )
    assert text, f"{TROUBLESHOOTING}:1: the search index has no entry for the page"
    missing = [
        f"{example.where(i)}: not in the site's search index: {line.strip()!r}"
        for i, line in enumerate(example.source.splitlines())
        if line.strip() and line.rstrip() not in text
    ]
    assert not missing, "\n".join(missing)


def pasted_lines() -> list:
    """(example, line index, text) of the first line of each quoted error: what a reader pastes."""
    found = []
    for example in reproduced_blocks():
        lines = example.source.splitlines()
        index = next((i for i, line in enumerate(lines) if line.strip()), 0)
        found.append(pytest.param(example, index, lines[index].strip(), id=str(example)))
    return found


def search_results(site: Path, node: Path, queries: tuple[str, ...]) -> dict[str, list[list[str]]]:
    """Results from mkdocs-material's own search worker (run by Node) over the built search index,
    after the scripts mkdocs.yml adds to every page (extra_javascript: the query normaliser): the
    same code the page runs when a reader types a query. Per query: for each page found, best
    first, the locations of its matching parts, best first. Run once per build and run, whichever
    xdist worker asks first (`once`)."""

    def run() -> dict[str, list[list[str]]]:
        driver = Path(__file__).parent / "harness" / "search.js"
        scripts = [str(s) for s in config()["extra_javascript"]]
        done = subprocess.run(
            [str(node), str(driver), str(site), *scripts],
            input="\n".join(queries) + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"mkdocs.yml:1: material's search worker failed:\n{done.stderr[-2000:]}"
        return dict(zip(queries, (json.loads(line) for line in done.stdout.splitlines())))

    return once(site.with_name(f"{site.name}-search.json"), run)


@pytest.mark.parametrize(("example", "index", "text"), pasted_lines())
def test_search_finds_pasted_error(example, index, text, site_build, gitlab_ci_local, record_property):
    record_property("example", str(example))
    site = site_build.require()
    queries = tuple(line for _, _, line in (p.values for p in pasted_lines()))
    results = search_results(site, gitlab_ci_local.node, queries)[text]
    want = page_path(TROUBLESHOOTING).lstrip("/")
    first = [group[0] for group in results[:3]]
    assert results and results[0][0].split("#")[0] == want, (
        f"{example.where(index)}: searching for {text!r} gives {first}, not {want} first"
    )


# --- snippets fit the code block ----------------------------------------------------------------

# A code block in a 1280-px window shows 80 characters of a line (test_browser.py measures it).
SNIPPET_WIDTH = 80
VERBATIM = {"reproduces", "output"}  # blocks that quote tool output as it is printed


def verbatim_snippets() -> set[str]:
    """Snippet files shown only as quoted tool output: their lines are what a tool printed."""
    uses: dict[str, set[bool]] = {}
    for example in examples():
        for file in {f for f, _ in example.origins if f.startswith("snippets/")}:
            uses.setdefault(file, set()).add(bool(VERBATIM & set(example.markers)))
    return {file for file, verbatim in uses.items() if verbatim == {True}}


def test_snippet_lines_fit():
    """Every snippet line fits a code block without scrolling: at most SNIPPET_WIDTH characters
    (.txt snippets and quoted tool output excepted: verbatim)."""
    verbatim = verbatim_snippets()
    files = sorted(p for p in (ROOT / "snippets").rglob("*") if p.is_file())
    assert files, "snippets/:1: no snippet files"
    long = [
        f"{name}:{number}: {len(line)} characters, more than {SNIPPET_WIDTH}: {line.strip()[:60]!r}..."
        for file in files
        if (name := file.relative_to(ROOT).as_posix()) not in verbatim and file.suffix != ".txt"
        for number, line in enumerate(file.read_text().splitlines(), 1)
        if len(line) > SNIPPET_WIDTH
    ]
    assert not long, f"{len(long)} snippet lines are too long to show without scrolling:\n" + "\n".join(long)


# --- the checks themselves, on inputs made to fail them ------------------------------------------

OFFSITE_PAGE = """<!doctype html>
<html><head>
<link rel="canonical" href="https://example.invalid/guide/">
<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<link rel="stylesheet" href="assets/main.css">
<style>@import url("//cdn.example.org/x.css"); body { background: url(data:image/png;base64,AA) }</style>
<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>
</head><body>
<a href="https://docs.gitlab.com/">GitLab docs</a>
<img srcset="img/a.png 1x, http://cdn.example.org/b.png 2x">
<div style="background-image: url('https://cdn.example.org/c.png')"></div>
</body></html>
"""


def test_asset_scan_finds_every_offsite_reference():
    finder = AssetFinder()
    finder.feed(OFFSITE_PAGE)
    offsite = [(line, what) for line, what, url in finder.assets if OFFSITE_RE.match(url)]
    assert offsite == [
        (4, '<link rel="preconnect">'),
        (5, '<link rel="stylesheet">'),
        (7, "<style>"),
        (8, "<script src>"),
        (11, "<img srcset>"),
        (12, "<div style>"),
    ]


def test_failed_build_reports_mkdocs_warnings(tmp_path):
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: t\nstrict: true\nnav:\n  - index.md\n")
    (project / "docs" / "index.md").write_text("# T\n\nSee [the guide](missing.md).\n")
    result = build(tmp_path / "site", root=project)
    assert not result.ok
    assert result.problems[0].startswith("docs/index.md:1: `mkdocs build --strict` failed")
    assert any("missing.md" in p and p.startswith("docs/index.md:1: WARNING") for p in result.problems[1:])

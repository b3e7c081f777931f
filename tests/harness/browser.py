"""The built site in a real browser: Debian's Chromium driven by Playwright, offline.

`Browser(site, base_url, profile)` starts /usr/bin/chromium (never a browser Playwright downloads)
with a new empty profile. `visit(path)` opens one page in it: every request that is not for the
loopback site server is aborted and written down, every uncaught script error is kept, and every
file the page loads from the site is counted, so a test can prove that the page works offline,
name what it tried to fetch and say what it weighs. Several checks share one visit:
`visit.check(where, run)` runs one of them and gives it the off-site requests and script errors of
the page's load and of its own actions, never another check's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Playwright, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Launch flags for this machine; the last one makes every host name but loopback unresolvable, so
# a request that escaped the page's routing (the browser's own) cannot leave the machine either.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# How long one browser action (a click, a wait) may take before the check fails.
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A page's weight by kind, from Playwright's resource types. Worker scripts and what scripts fetch
# (material's search worker and index) load in the background: "background".
KINDS = {"document": "html", "script": "scripts", "stylesheet": "stylesheets", "xhr": "background", "fetch": "background"}


@dataclass
class Visit:
    """One page open in the browser, and what it did so far."""

    page: Page
    url: str
    offsite: list[str] = field(default_factory=list)  # requests aborted: not for the site server
    errors: list[str] = field(default_factory=list)  # uncaught script errors
    loaded: dict[str, str] = field(default_factory=dict)  # site path -> resource type
    workers: set[str] = field(default_factory=set)  # site paths of the page's worker scripts
    on_load: tuple[int, int] = (0, 0)  # how many off-site requests and script errors the load made

    def settle(self) -> None:
        """Wait until the network has been idle for 500 ms (Playwright's "networkidle", which stays
        reached once the page got there); all the page did until then counts as its load."""
        self.page.wait_for_load_state("networkidle")
        self.on_load = len(self.offsite), len(self.errors)

    def check(self, where: str, run: Callable[..., list[str]], *args) -> list[str]:
        """Run one check on the open page: `where: ...` lines for every off-site request and uncaught
        script error of the page's load and of the check's own actions, then the problems
        run(visit, *args) returns; a browser action that fails ends the check with that failure."""
        start = len(self.offsite), len(self.errors)
        try:
            problems = run(self, *args)
        except PlaywrightError as exc:
            problems = [failure(where, self.url, exc)]
        # A check run before settle() has everything so far: the load is not over yet.
        offsite = self.offsite[: self.on_load[0]] + self.offsite[max(start[0], self.on_load[0]) :]
        errors = self.errors[: self.on_load[1]] + self.errors[max(start[1], self.on_load[1]) :]
        return [
            *(f"{where}: off-site request while loading {self.url}: {r}" for r in offsite),
            *(f"{where}: uncaught script error on {self.url}: {e}" for e in errors),
            *problems,
        ]


def failure(where: str, url: str, exc: PlaywrightError) -> str:
    """A browser action that failed (a page that did not load, a click that timed out)."""
    return f"{where}: in the browser, on {url}: {str(exc).splitlines()[0]}"


class Browser:
    """One Chromium for a test session (one per pytest-xdist worker)."""

    def __init__(self, site: Path, base_url: str, profile: Path) -> None:
        self.site, self.base_url = site, base_url
        self._playwright: Playwright = sync_playwright().start()
        try:
            self.context = self._playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                args=FLAGS,
                env={**os.environ, "HOME": str(profile), "TMPDIR": str(profile)},
                viewport=DESKTOP,
                # The copy buttons write to the clipboard; the tests read it back.
                permissions=["clipboard-read", "clipboard-write"],
            )
        except Exception:
            self._playwright.stop()
            raise
        self.context.set_default_timeout(TIMEOUT_MS)

    def close(self) -> None:
        self.context.close()
        self._playwright.stop()

    def weight(self, visit: Visit) -> dict[str, int]:
        """Bytes of the files the page loaded from the site, by kind (KINDS, or "other")."""
        kinds: dict[str, int] = {}
        for path, resource in visit.loaded.items():
            file = self.site / path
            if file.is_dir():
                file = file / "index.html"
            kind = "background" if path in visit.workers else KINDS.get(resource, "other")
            kinds[kind] = kinds.get(kind, 0) + (file.stat().st_size if file.is_file() else 0)
        return kinds

    def _site_path(self, url: str) -> str:
        return unquote(urlparse(url).path).lstrip("/")

    @contextlib.contextmanager
    def visit(self, path: str, viewport: dict[str, int] = DESKTOP, wait: str = "networkidle") -> Iterator[Visit]:
        """Open the site's `path` in a new tab at `viewport` until `wait`; closed (and storage
        cleared) afterwards. A page that does not load raises Playwright's error."""
        page = self.context.new_page()
        visit = Visit(page, self.base_url + path)

        def route(r: Route) -> None:
            url = r.request.url
            if url.startswith(self.base_url):
                visit.loaded[self._site_path(url)] = r.request.resource_type
                r.continue_()
            else:
                visit.offsite.append(f"{r.request.method} {url}")
                r.abort("blockedbyclient")

        page.route("**/*", route)
        page.on("pageerror", lambda exc: visit.errors.append(str(exc)))
        page.on("worker", lambda worker: visit.workers.add(self._site_path(worker.url)))
        page.set_viewport_size(viewport)
        try:
            page.goto(visit.url, wait_until=wait)
            visit.on_load = len(visit.offsite), len(visit.errors)
            yield visit
        finally:
            with contextlib.suppress(Exception):  # material keeps the palette choice in storage
                page.evaluate("localStorage.clear(); sessionStorage.clear()")
            page.close()

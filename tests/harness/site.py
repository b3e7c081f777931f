"""The built site: build it once per test session, serve it on loopback, look at it in Chromium.

`shared_build(base)` runs `mkdocs build --strict` once for all pytest-xdist workers (a file lock
and a directory named by a hash of the sources). `serve(site)` serves a build on a free loopback
port. `chromium(url, ...)` loads a page in headless Chromium with every off-site request sent to a
trap that refuses it and writes it down, so a test can both prove the page works offline and
name what it tried to fetch.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .collect import ROOT

MKDOCS = Path(sys.executable).with_name("mkdocs")
# What the build reads: the pages, the snippet files, the config, and the pin macros.py reads.
SOURCES = ("docs", "snippets", "mkdocs.yml", "pyproject.toml")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

# --- building ----------------------------------------------------------------------------------


def source_hash(root: Path = ROOT) -> str:
    """A hash of every file the build reads, so a changed page never reuses an old build."""
    digest = hashlib.sha256()
    for name in SOURCES:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or not file.exists():
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass
class Build:
    """The outcome of one `mkdocs build --strict`."""

    site: Path
    ok: bool
    seconds: float
    problems: list[str] = field(default_factory=list)

    def require(self) -> Path:
        """The site directory; fails the calling test with mkdocs' warnings if the build failed."""
        if not self.ok:
            pytest.fail("\n".join(self.problems), pytrace=False)
        return self.site


def _where(line: str) -> str:
    """file:line for a mkdocs warning: the page it names, else mkdocs.yml."""
    m = re.search(r"""(?:Doc file|file|page) ['"]?([\w./-]+\.md)""", line)
    return f"docs/{m[1].removeprefix('docs/')}:1" if m else "mkdocs.yml:1"


def build(dest: Path, root: Path = ROOT) -> Build:
    """Run `mkdocs build --strict` from the project's venv into `dest`."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    argv = [str(MKDOCS), "build", "--strict", "--config-file", str(root / "mkdocs.yml"), "--site-dir", str(dest)]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - start
    output = ANSI_RE.sub("", proc.stdout + proc.stderr).splitlines()
    if proc.returncode == 0:
        return Build(dest, True, seconds)
    warnings = [line.strip() for line in output if re.match(r"\s*(WARNING|ERROR)\b", line)]
    shown = warnings or [line for line in output if line.strip()][-20:]
    problems = [f"{_where(shown[0]) if shown else 'mkdocs.yml:1'}: `mkdocs build --strict` failed "
                f"(exit {proc.returncode})"]
    problems += [f"{_where(line)}: {line}" for line in shown]
    return Build(dest, False, seconds, problems)


@functools.cache
def shared_build(base: Path) -> Build:
    """One build per source state under `base`, shared by every process that asks (file lock)."""
    key = source_hash()
    base.mkdir(parents=True, exist_ok=True)
    result = base / f"site-{key}.json"
    with open(base / f"site-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            done = build(base / f"site-{key}")
            result.write_text(json.dumps({**done.__dict__, "site": str(done.site)}))
    data = json.loads(result.read_text())
    return Build(Path(data.pop("site")), **data)


def shared_base(tmp_path_factory) -> Path:
    """A directory every xdist worker of this run shares (the run's own, outside xdist)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "site-build"


def page_path(page: str) -> str:
    """Site path of a page (use_directory_urls): docs/index.md -> '', docs/a/b.md -> 'a/b/'."""
    rel = page.removeprefix("docs/").removesuffix(".md")
    if rel == "index" or rel.endswith("/index"):
        return rel.removesuffix("index")
    return rel + "/"


# --- serving -----------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on a free loopback port; yields the base URL ending in '/'."""
    handler = functools.partial(_Quiet, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()


# --- the browser -------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# A loopback port nothing listens on: Chromium's own services are pointed here so that only the
# page's requests reach the trap.
CLOSED = "http://127.0.0.1:9/"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter,Translate",
    f"--gaia-url={CLOSED}",
    f"--component-updater=url-source={CLOSED}",
    f"--apps-gallery-update-url={CLOSED}",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--enable-logging=stderr",
    "--log-level=0",
]
CONSOLE_RE = re.compile(r'INFO:CONSOLE[:(]\d+\)?\] "(?P<message>.*?)", source: ', re.S)


class _Trap(http.server.BaseHTTPRequestHandler):
    """A proxy that refuses everything and remembers what it was asked for."""

    def _refuse(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")
        self.send_error(403, "off-site request blocked by the site check")

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = _refuse

    def log_message(self, *args) -> None:
        pass


@dataclass
class PageLoad:
    """What Chromium made of one URL."""

    url: str
    dom: str  # document.documentElement.outerHTML after scripts ran ('' for a screenshot)
    offsite: list[str]  # requests that tried to leave loopback
    console: list[str]  # console messages (errors, uncaught exceptions)
    seconds: float

    @property
    def uncaught(self) -> list[str]:
        return [m for m in self.console if m.startswith("Uncaught")]


def chromium(url: str, *, screenshot: Path | None = None, size: str = "1280,900", budget_ms: int = 15000) -> PageLoad:
    """Load `url` headless; dump the DOM after `budget_ms` of virtual time, or take a screenshot."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trap) as trap, tempfile.TemporaryDirectory() as profile:
        trap.requests = []
        thread = threading.Thread(target=trap.serve_forever, daemon=True)
        thread.start()
        argv = [
            str(CHROMIUM),
            *FLAGS,
            f"--proxy-server=127.0.0.1:{trap.server_address[1]}",
            "--proxy-bypass-list=127.0.0.1",
            f"--user-data-dir={profile}",
            f"--window-size={size}",
            f"--virtual-time-budget={budget_ms}",
            f"--screenshot={screenshot}" if screenshot else "--dump-dom",
            url,
        ]
        env = {**os.environ, "HOME": profile, "TMPDIR": profile}
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        finally:
            trap.shutdown()
            thread.join()
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"chromium exited {proc.returncode} on {url}: {tail}")
        console = [" | ".join(m["message"].split("\n")) for m in CONSOLE_RE.finditer(proc.stderr)]
        return PageLoad(url, "" if screenshot else proc.stdout, list(trap.requests), console, seconds)


# --- reading HTML ------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    """A small element tree of an HTML document (enough to find tags, classes and text)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root

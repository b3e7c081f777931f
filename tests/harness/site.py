"""The built site: build it once per test session and serve it on loopback.

`shared_build(base)` runs `mkdocs build --strict` once for all pytest-xdist workers (a directory
named by a hash of the sources, made by `once`: whatever one process computes under a file lock,
every other reads back). `serve(site)` serves a build on a free loopback port. What a browser makes
of it is harness/browser.py.
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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


def once(result: Path, compute: Callable[[], object], wait: bool = True) -> object | None:
    """`compute()` (JSON data) run by the first process that asks for `result`, a JSON file; every
    other process, xdist workers included, waits on a file lock and reads it back (with `wait`
    false: gets None while another process computes it). A compute that raises writes nothing: the
    next to ask runs it again."""
    result.parent.mkdir(parents=True, exist_ok=True)
    with open(result.with_suffix(".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return None
        if not result.exists():
            partial = result.with_suffix(".partial")
            partial.write_text(json.dumps(compute()))
            partial.replace(result)
    return json.loads(result.read_text())


@functools.cache
def shared_build(base: Path) -> Build:
    """One build per source state under `base`, shared by every process that asks."""
    key = source_hash()

    def run() -> dict:
        done = build(base / f"site-{key}")
        return {**done.__dict__, "site": str(done.site)}

    data = once(base / f"site-{key}.json", run)
    return Build(Path(data.pop("site")), **data)


def run_dir(tmp_path_factory) -> Path:
    """The temporary directory of this test run, shared by every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_base(tmp_path_factory) -> Path:
    """Where the run's site build lives, shared by every xdist worker."""
    return run_dir(tmp_path_factory) / "site-build"


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


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A browser that closes a tab drops the downloads still running: not an error here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on a free loopback port; yields the base URL ending in '/'."""
    handler = functools.partial(_Quiet, directory=str(site))
    with _Server(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()

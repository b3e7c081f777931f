"""Reproduce the troubleshooting page's quoted messages with the pinned uv.

The page (docs/troubleshooting.md) has one H2 per problem. A quoted message is a fence with
`<!-- check: reproduces="T4" -->` above it; the fixes are the other blocks of the same H2 section.
A test builds the failing setup, runs uv and hands the output to `Entry.shows(block, output)`,
which compares it with the block as the site renders it. The expected text is never retyped in a
test: it is read from the page.

Wildcards. In a quoted block, these words stand for text that differs between machines and runs:

    <path>   a file system path          <host>   a host name or address, with an optional :port
    <port>   a port number               <size>   a size such as 1.3KiB
    <time>   a duration such as 12ms     <hash>   a hex digest

`https://<host>` (also with a `user:****@` before the host) matches `http://` as well: the local
registry speaks plain HTTP. Every other
character must match exactly, line by line; the block's lines must appear as consecutive lines
of the output (a block may quote part of what uv prints).

The rest of the module is the equipment the setups need: applying a YAML fix fragment to an
environment, a throwaway certificate authority and HTTPS servers on loopback (a static index, a
PyPI trusted-publishing stand-in, a Git server).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .collect import ROOT, Example, collect_site
from .gitlab import Map, load
from .sandbox import Sandbox

PAGE = "docs/troubleshooting.md"

WILDCARDS = {
    "<path>": r"\S+",
    "<host>": r"[\w.-]+(?::\d+)?",
    "<port>": r"\d+",
    "<size>": r"\d+(?:\.\d+)?\s?[KMGT]?i?B",
    "<time>": r"\d+(?:\.\d+)?(?:ns|µs|us|ms|s)",
    "<hash>": r"[0-9a-f]{7,}",
}
# A URL whose host is a wildcard matches either scheme; `user:****@` before the host stays literal.
_TOKEN_RE = re.compile(r"https://(?P<user>[^\s<>`/@]*@)?<host>|" + "|".join(map(re.escape, WILDCARDS)))
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- the page ----------------------------------------------------------------------------------


def line_pattern(line: str) -> re.Pattern:
    """A quoted line as a regex: wildcards become patterns, everything else is literal."""
    parts, pos = [], 0
    for m in _TOKEN_RE.finditer(line):
        parts.append(re.escape(line[pos : m.start()]))
        token = m.group()
        if token.startswith("https://"):
            parts.append(r"https?://" + re.escape(m["user"] or "") + WILDCARDS["<host>"])
        else:
            parts.append(WILDCARDS[token])
        pos = m.end()
    parts.append(re.escape(line[pos:]))
    return re.compile("".join(parts))


def normalise(output: str) -> list[str]:
    """Output lines without colour codes and trailing blanks."""
    return [_ANSI_RE.sub("", line).rstrip() for line in output.splitlines()]


def mismatch(block: Example, output: str) -> str | None:
    """None if the block's lines appear consecutively in `output`, else why not (file:line first)."""
    quoted = [line.rstrip() for line in block.source.splitlines()]
    while quoted and not quoted[-1]:
        quoted.pop()
    if not quoted:
        return f"{block.where()}: the quoted block is empty"
    patterns = [line_pattern(line) for line in quoted]
    lines = normalise(output)
    best, best_at = -1, 0  # longest run of matching lines, and where it stopped in the block
    for start in range(len(lines)):
        n = 0
        while n < len(patterns) and start + n < len(lines) and patterns[n].fullmatch(lines[start + n]):
            n += 1
        if n == len(patterns):
            return None
        if n > best:
            best, best_at = n, n
    printed = "\n".join(f"    | {line}" for line in lines) or "    (nothing)"
    return (
        f"{block.where(best_at)}: uv did not print the quoted line {quoted[best_at]!r}"
        f" (the {best_at} line(s) before it matched)\n  uv printed:\n{printed}"
    )


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
        problem = mismatch(block, output)
        assert problem is None, problem
        self.matched.add(block.line)

    def all_shown(self) -> None:
        """Every quoted block of the entry was reproduced by some run."""
        missing = [b for b in self.blocks if b.line not in self.matched]
        assert not missing, "\n".join(
            f"{b.where()}: quoted block of {self.id} was not reproduced" for b in missing
        )

    def fix(self, name: str) -> Example:
        """The block of this section included from snippets/troubleshooting/<name>."""
        origin = f"snippets/troubleshooting/{name}"
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


# --- running -----------------------------------------------------------------------------------


def sh(
    sandbox: Sandbox, script: str, *, cwd: Path | None = None, env: dict | None = None, timeout: float = 120
):
    """Run a bash script in the sandbox with stderr folded into stdout (the order uv printed)."""
    return sandbox.run("exec 2>&1\n" + script, cwd=cwd, env=env, timeout=timeout)


def expand(value: str, env: dict[str, str]) -> str:
    """GitLab's expansion of `$NAME` and `${NAME}` in a variable's value (unknown names: empty)."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: env.get(m[1] or m[2], ""), value)


@dataclass
class Job:
    """A job of a fix fragment, as the runner would prepare it."""

    name: str
    variables: dict[str, str]  # expanded, global then job-level
    script: list[str]  # before_script + script
    after_script: list[str]
    raw: Map
    ci: dict[str, str]  # the predefined variables the job runs with
    where: str  # file:line of the fragment


def job(example: Example, ci_env: dict[str, str], name: str | None = None) -> Job:
    """The (only, or named) job of a YAML fragment, with variables expanded over `ci_env`."""
    doc = load(example.source)
    assert isinstance(doc, dict), f"{example.where()}: a fix fragment must be a mapping"
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and k not in ("variables", "default")}
    if name is None:
        assert len(jobs) <= 1, f"{example.where()}: {len(jobs)} jobs in the fragment; name the one to run"
        name = next(iter(jobs), "")
    body = jobs.get(name, Map())
    env = dict(ci_env)
    variables = {}
    for scope in (doc.get("variables") or {}, body.get("variables") or {}):
        for key, value in scope.items():
            value = value.get("value", "") if isinstance(value, dict) else value
            variables[key] = env[key] = expand(str(value), env)

    def lines(key):
        items = body.get(key) or (doc.get("default") or {}).get(key) or []
        flat = []
        for item in [items] if isinstance(items, str) else items:
            flat.extend(item if isinstance(item, list) else [item])
        return [str(x) for x in flat]

    return Job(
        name,
        variables,
        lines("before_script") + lines("script"),
        lines("after_script"),
        body,
        dict(ci_env),
        example.where(),
    )


def run_job(sandbox: Sandbox, job: Job, *, cwd: Path, env: dict[str, str], timeout: float = 120):
    """Run a job's before_script and script as GitLab's bash shell does (`set -eo pipefail`).

    The environment: the job's predefined variables, then `env` (the test's setup), then the
    job's own `variables:`, which win as they do in GitLab.
    """
    script = "set -eo pipefail\n" + "\n".join(job.script)
    return sh(sandbox, script, cwd=cwd, env={**job.ci, **env, **job.variables}, timeout=timeout)


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".venv", "dist", "__pycache__", "*.egg-info"))
    return dest


# --- TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLS:
    """A private CA and a server certificate it signed for 127.0.0.1 (what a self-managed GitLab has)."""

    ca: Path
    cert: Path
    key: Path


def make_tls(where: Path, name: str = "Internal CA") -> TLS:
    """Create a CA and a loopback server certificate with the openssl command (EC P-256, 2 days)."""
    where.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True, timeout=30)

    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (where / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    return TLS(where / "ca.pem", where / "server.pem", where / "server.key")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def start_tls(server: http.server.ThreadingHTTPServer, tls: TLS) -> threading.Thread:
    """Wrap `server`'s socket in TLS with `tls`'s certificate and serve it from a daemon thread."""
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def https_server(handler: type[http.server.BaseHTTPRequestHandler], tls: TLS) -> Iterator[int]:
    """Serve `handler` over TLS on a free loopback port (yielded) in a thread of this process."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = start_tls(server, tls)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def static_handler(root: Path, *, user: str | None = None, password: str | None = None):
    """A handler serving the files under `root`; with a user, only to HTTP Basic auth as that user."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else None

    class Handler(_Quiet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            if expected and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="GitLab"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        do_HEAD = do_GET

    return Handler


def simple_index(root: Path, prefix: str, wheels: list[Path]) -> None:
    """Lay out a PEP 503 index of `wheels` under root/prefix (…/simple/<name>/ and …/files/)."""
    base = root / prefix.strip("/")
    (base / "files").mkdir(parents=True, exist_ok=True)
    by_name: dict[str, list[Path]] = {}
    for wheel in wheels:
        shutil.copy2(wheel, base / "files" / wheel.name)
        by_name.setdefault(wheel.name.split("-")[0].replace("_", "-").lower(), []).append(wheel)
    for name, files in by_name.items():
        page = base / "simple" / name / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{f.name}">{f.name}</a>\n' for f in files)
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def git_repository(source: Path, root: Path, path: str) -> None:
    """A bare copy of the project `source` at root/path, ready for Git's "dumb" HTTP protocol."""
    work = root.parent / (root.name + "-work")
    shutil.copytree(source, work)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    ident = [
        "-c",
        "user.name=checker",
        "-c",
        "user.email=checker@example.invalid",
        "-c",
        "init.defaultBranch=main",
    ]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "initial"]):
        subprocess.run(["git", *ident, *args], cwd=work, env=env, check=True, capture_output=True)
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(target)], env=env, check=True, capture_output=True
    )
    subprocess.run(["git", "update-server-info"], cwd=target, env=env, check=True, capture_output=True)


# --- a stand-in for PyPI's trusted publishing endpoints ------------------------------------------


def id_token(claims: dict) -> str:
    """A JWT with GitLab's ID token claims (unsigned: the stand-in does not check signatures)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def gitlab_claims(project_path: str, aud: str, environment: str | None = None, ref: str = "main") -> dict:
    """The claims GitLab puts in a job's ID token that PyPI's publisher check reads."""
    claims = {
        "aud": aud,
        "sub": f"project_path:{project_path}:ref_type:branch:ref:{ref}",
        "project_path": project_path,
        "ci_config_ref_uri": f"gitlab.example.com/{project_path}//.gitlab-ci.yml@refs/heads/{ref}",
    }
    if environment:
        claims["environment"] = environment
    return claims


@dataclass
class FakePyPI:
    """What the stand-in accepts: the publisher registered on "PyPI" and the files uploaded."""

    audience: str
    publisher: dict  # claims that must match, e.g. {"project_path": ..., "environment": ...}
    minted: set[str] = field(default_factory=set)
    uploads: list[str] = field(default_factory=list)


def pypi_handler(state: FakePyPI):
    """PyPI's audience, mint-token and upload endpoints, as uv's trusted publishing uses them."""

    class Handler(_Quiet):
        def reply(self, code: int, body: dict | str):
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_/oidc/audience":
                return self.reply(200, {"audience": state.audience})
            self.reply(404, {"message": "Not Found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/_/oidc/mint-token":
                return self.mint(body)
            user, _, token = (
                base64.b64decode(self.headers.get("Authorization", "Basic ")[6:]).decode().partition(":")
            )
            if user != "__token__" or token not in state.minted:
                return self.reply(403, "Invalid or non-existent authentication information.")
            if m := re.search(rb'filename="([^"]+)"', body):
                state.uploads.append(m[1].decode())
            self.reply(200, "OK")

        def mint(self, body: bytes):
            # PyPI answers a token no publisher matches with 422 and an `invalid-publisher` error.
            token = json.loads(body or b"{}").get("token", "")
            try:
                payload = token.split(".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (IndexError, ValueError):
                claims = {}
            wanted = {**state.publisher, "aud": state.audience}
            if any(claims.get(k) != v for k, v in wanted.items()):
                error = {
                    "code": "invalid-publisher",
                    "description": "valid token, but no corresponding publisher",
                }
                return self.reply(422, {"message": "Token request failed", "errors": [error]})
            minted = "pypi-" + secrets.token_urlsafe(16)
            state.minted.add(minted)
            self.reply(200, {"success": True, "token": minted})

    return Handler

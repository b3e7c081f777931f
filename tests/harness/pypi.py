"""pypi.org and files.pythonhosted.org on loopback, serving the wheelhouse, for jobs that use PyPI.

Jobs reach PyPI by its real URLs, so that their commands run unchanged: a committed uv.lock with
files.pythonhosted.org URLs and `uv sync --locked`, `uvx ruff@<version>`, tox-uv, nox, pre-commit's
pip. Every proxy variable of the job points at this server (an HTTP proxy on a free loopback port):

- `CONNECT pypi.org:443` and `CONNECT files.pythonhosted.org:443` are answered by a TLS server with a
  certificate for both names from a throwaway CA (trustme, one per test process). Processes trust
  that CA through SSL_CERT_DIR (uv reads it in addition to any SSL_CERT_FILE), PIP_CERT (pip) and
  REQUESTS_CA_BUNDLE (requests): `env`. Jobs also get SSL_CERT_FILE (`job_env`), the one of these
  that tox passes on to the environments it creates. A job that points SSL_CERT_FILE at the image's
  public roots plus its GitLab's CA still trusts "pypi.org" through SSL_CERT_DIR, as it would trust
  the real one through those public roots.
- Every other destination is refused with 403: nothing is forwarded, nothing leaves loopback.

Behind the TLS server, pypi.org serves the simple index (PEP 503 HTML, `#sha256=` on each link) of
the wheelhouse (harness/wheelhouse.py) and of the files a test puts on "PyPI" (`extra`), and
files.pythonhosted.org serves those files under the paths pypi.org links to.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import re
import shutil
import socketserver
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import trustme
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from .sandbox import LOOPBACK, PROXY_VARIABLES
from .uv_under_test import served
from .wheelhouse import LOCK, Dist

INDEX_HOST = "pypi.org"
FILES_HOST = "files.pythonhosted.org"
SERVED = (INDEX_HOST, FILES_HOST)


@functools.cache
def _tls() -> tuple[trustme.CA, ssl.SSLContext]:
    """The throwaway CA and the server context with its certificate for both hosts (once a process)."""
    ca = trustme.CA(organization_name="uv-gitlab-guide checker (throwaway)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*SERVED).configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    return ca, context


def _project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[0]
    return parse_sdist_filename(filename)[0]


@dataclass
class PyPI:
    """A running stand-in for PyPI; `env` is what a job needs to use it."""

    port: int
    ca_file: Path
    dists: list[Dist]  # the wheelhouse
    extra: Path  # files a test put on "PyPI"
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)  # (host, method, path, status)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        ca = str(self.ca_file)
        return {
            **{name: self.proxy_url for name in PROXY_VARIABLES},
            "NO_PROXY": LOOPBACK,
            "no_proxy": LOOPBACK,
            "SSL_CERT_DIR": str(self.ca_file.parent),
            "PIP_CERT": ca,
            "REQUESTS_CA_BUNDLE": ca,
        }

    @property
    def job_env(self) -> dict[str, str]:
        return {**self.env, "SSL_CERT_FILE": str(self.ca_file)}

    def add(self, path: Path | str) -> None:
        """Put a distribution file on "PyPI" (next to the wheelhouse)."""
        shutil.copy2(path, self.extra / Path(path).name)

    def files(self) -> dict[str, tuple[str, str, Path]]:
        """URL path on files.pythonhosted.org -> (project, sha256, local file)."""
        found = {urllib.parse.urlsplit(d.url).path: (d.project, d.sha256, d.path) for d in self.dists}
        for path in sorted(self.extra.iterdir()):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            url_path = f"/packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{path.name}"
            found[url_path] = (canonicalize_name(_project_of(path.name)), digest, path)
        return found


class _Site(BaseHTTPRequestHandler):
    """HTTP/1.1 inside the TLS tunnel for one of the SERVED hosts."""

    protocol_version = "HTTP/1.1"

    def __init__(self, request, client_address, server, host: str) -> None:
        self.host = host
        super().__init__(request, client_address, server)

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_HEAD(self):
        self.do_GET(body=False)

    def do_GET(self, body: bool = True):
        pypi: PyPI = self.server.pypi
        path = urllib.parse.urlsplit(self.path).path
        files = pypi.files()
        status, headers, content, file = "404 Not Found", {"Content-Type": "text/plain"}, b"", None
        if self.host == INDEX_HOST and (m := re.fullmatch(r"/simple/([^/]+)/?", path)):
            name = canonicalize_name(m[1])
            links = [(p, d) for p, (project, d, _) in files.items() if project == name]
            if f"/simple/{name}/" != path:  # pypi.org redirects to the normalized name
                status, headers = "301 Moved Permanently", {"Location": f"/simple/{name}/"}
            elif links:
                status, headers = "200 OK", {"Content-Type": "text/html; charset=utf-8"}
                content = _simple_page(name, links).encode()
        elif self.host == INDEX_HOST and path == "/simple/":
            names = sorted({project for project, _, _ in files.values()})
            status, headers = "200 OK", {"Content-Type": "text/html; charset=utf-8"}
            content = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names).encode()
        elif self.host == FILES_HOST and path in files:
            status, headers = "200 OK", {"Content-Type": "application/octet-stream"}
            file = files[path][2]
        if status.startswith("404"):
            content = (
                f"Not Found: https://{self.host}{path} is not in the wheelhouse ({LOCK.name} in "
                f"{LOCK.parent.name}/ lists what pipelines may install from PyPI)\n"
            ).encode()
        pypi.requests.append((self.host, self.command, path, status.split()[0]))
        self.send_response_only(int(status.split()[0]), status.split(" ", 1)[1])
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(file.stat().st_size if file else len(content)))
        self.end_headers()
        if not body:
            return
        if file:
            with open(file, "rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
        else:
            self.wfile.write(content)


def _simple_page(name: str, links: list[tuple[str, str]]) -> str:
    """A PEP 503 project page as pypi.org serves it: absolute links to files.pythonhosted.org."""
    rows = "".join(
        f'<a href="https://{FILES_HOST}{html.escape(path)}#sha256={digest}">'
        f"{html.escape(path.rsplit('/', 1)[1])}</a><br />\n"
        for path, digest in sorted(links)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
        f"<title>Links for {name}</title></head>\n<body><h1>Links for {name}</h1>\n{rows}</body></html>\n"
    )


class _Proxy(socketserver.StreamRequestHandler):
    """The proxy: a tunnel to the stand-in for SERVED hosts, 403 for anything else."""

    def handle(self):
        request_line = self.rfile.readline(65537).decode("latin-1").split()
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # the request's headers
        method, target = (request_line + ["", ""])[:2]
        host, _, port = target.rpartition(":")
        pypi: PyPI = self.server.pypi
        if method == "CONNECT" and host in SERVED and port == "443":
            pypi.requests.append((host, "CONNECT", target, "200"))
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            try:
                tls = _tls()[1].wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client does not trust the CA: it reports the failure itself
            with contextlib.suppress(OSError):
                _Site(tls, self.client_address, self.server, host)
            return
        pypi.requests.append((host or target, method, target, "403"))
        body = (
            f"Forbidden: this runner reaches only {' and '.join(SERVED)} (the wheelhouse); "
            f"{target} stays out of reach\n"
        ).encode()
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def start_pypi(root: Path, dists: list[Dist]) -> Iterator[PyPI]:
    """Serve `dists` (with another uv under test, its wheels too: harness/uv_under_test.py `served`)
    and whatever is added to `root`/files as PyPI; stop on exit."""
    (root / "files").mkdir(parents=True, exist_ok=True)
    (root / "certs").mkdir(exist_ok=True)
    ca_file = root / "certs" / "pypi-ca.pem"
    _tls()[0].cert_pem.write_to_path(str(ca_file))
    server = _Server(("127.0.0.1", 0), _Proxy)
    dists = served(dists)
    pypi = PyPI(port=server.server_address[1], ca_file=ca_file, dists=dists, extra=root / "files")
    server.pypi = pypi
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield pypi
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

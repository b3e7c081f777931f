"""A private certificate authority and HTTPS servers on loopback (what a self-managed GitLab has).

`make_tls` creates a CA and a server certificate for 127.0.0.1 with the openssl command. A server
runs in a daemon thread of the test process: `https_server` for the length of a `with` block (a
reproduction), `serve_in_background` until the next call or the end of the process (a pipeline's
prepare hook starts it, its effect check stops it with `stop_background_servers`).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import http.server
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TLS:
    """A private CA and a server certificate it signed for 127.0.0.1."""

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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A request handler that does not log every request to stderr."""

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


_BACKGROUND = contextlib.ExitStack()
atexit.register(_BACKGROUND.close)


def stop_background_servers() -> None:
    """Stop what `serve_in_background` started."""
    _BACKGROUND.close()


def serve_in_background(handler, tls: TLS, port: int = 0) -> int:
    """Serve `handler` over TLS on 127.0.0.1:`port` (0: any free port) until the next call or the
    end of the process; return the port. A fixed port another run still holds is waited for."""
    stop_background_servers()
    deadline = time.monotonic() + 30
    while True:
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    start_tls(server, tls)
    _BACKGROUND.callback(server.server_close)
    _BACKGROUND.callback(server.shutdown)
    return server.server_address[1]

"""A local package registry with GitLab's PyPI URL layout, for pipelines to publish to and install from.

The storage and the PyPI protocol (upload form, simple index, file downloads) are pypiserver's own
apps, one per project, each mounted under its GitLab prefix:

    POST /api/v4/projects/<id>/packages/pypi                 upload (uv publish)
    GET  /api/v4/projects/<id>/packages/pypi/simple/<name>/  project index
    GET  /api/v4/groups/<id>/-/packages/pypi/simple/<name>/  group index (every project of the group)
    GET  /public/simple/<name>/                              "PyPI": where unknown names go to

"PyPI" holds the wheelhouse (harness/wheelhouse.py) and the files a test adds with
`add_public_package`. Jobs reach it two ways: by pypi.org's own URLs through the HTTPS stand-in of
harness/pypi.py (`registry.pypi`, which their proxy variables point at), and under `/public/simple`
here, which is also where project and group indexes forward the names they do not have (as GitLab
forwards them to pypi.org) and what an example can name as its PyPI mirror.

A thin WSGI layer in front adds what GitLab does and pypiserver does not; each rule cites the GitLab
documentation it follows. The server runs in a thread of the test process on a free loopback port
and is stopped by the fixture that started it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pypiserver
from pypiserver.config import Config

from .pypi import PyPI, start_pypi
from .wheelhouse import FILES, ensure_wheelhouse

JOB_TOKEN_USER = "gitlab-ci-token"
PROJECT_ID = "42"
PROJECT_PATH = "group/demo"  # what CI_PROJECT_PATH is; GitLab accepts it URL-encoded in place of the id
GROUP_ID = "7"
# A project that exists but that the job token may not access (it is not on the token's allowlist).
OTHER_PROJECT_ID = "43"

PUBLIC_PREFIX = "/public"
PROJECT_RE = re.compile(r"^/api/v4/projects/(?P<id>.+?)/packages/pypi(?P<rest>/.*)?$")
GROUP_RE = re.compile(r"^/api/v4/groups/(?P<id>.+?)/-/packages/pypi(?P<rest>/.*)?$")
# What GitLab serves under a project's or group's .../packages/pypi: the simple index and its files
# (docs.gitlab.com/api/packages/pypi). pypiserver also answers other paths (for example it redirects
# `/<name>/` to `/simple/<name>/`), which would hide an index URL missing its `/simple`.
READ_RE = re.compile(r"^/(simple/?|simple/[^/]+/?|packages/[^/]+)$")

logging.getLogger("pypiserver").setLevel(logging.ERROR)


def _json(environ, start_response, status: str, message: str, headers: list | None = None) -> list[bytes]:
    """A GitLab-style error: compact JSON `{"message":"..."}`, as GitLab sends it (uv prints the body
    after `Server says:`; the seed's gitlab.com log shows `{"message":"404 Not Found"}`)."""
    # Read the request body first: closing on a client still uploading breaks its pipe, and uv would
    # report that instead of the status.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    while length > 0:
        chunk = environ["wsgi.input"].read(min(length, 1 << 16))
        if not chunk:
            break
        length -= len(chunk)
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))] + (headers or [])
    )
    return [body]


@dataclass
class _Project:
    storage: Path
    app: object  # the pypiserver Bottle app serving `storage`
    group: str
    token_has_access: bool


def _pypiserver(roots: list[Path], fallback: str | None) -> object:
    """A pypiserver app over `roots`; authentication is done by the layer in front of it."""
    # Config.from_args, not pypiserver.app(**overrides): the latter first builds a default config
    # whose caching backend starts watchdog threads that are never stopped.
    args = ["run", "--backend", "simple-dir", "-a", ".", "-P", "."]
    args += ["--fallback-url", fallback] if fallback else ["--disable-fallback"]
    config = Config.from_args([*args, *map(str, roots)])
    return pypiserver.setup_routes_from_config(pypiserver.app_from_config(config), config)


class _GitLabLayer:
    """WSGI app: routes GitLab's URLs to the pypiserver apps and answers as GitLab documents."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        status_seen: list[str] = []

        def recording_start_response(status, headers, exc_info=None):
            status_seen.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.route(environ, recording_start_response, method, path)
        finally:
            self.registry.requests.append((method, path, (status_seen or ["?"])[0].split()[0]))

    def route(self, environ, start_response, method, path):
        reg = self.registry
        if path == PUBLIC_PREFIX or path.startswith(PUBLIC_PREFIX + "/"):
            return self.mount(reg._public_app, PUBLIC_PREFIX, environ, start_response)
        if m := PROJECT_RE.match(path):
            pid = reg._resolve_project(m["id"])
            # GitLab's REST API answers 404 when a resource cannot be found or the caller may not
            # access it (docs.gitlab.com/api/rest/troubleshooting/#status-codes); the PyPI endpoints
            # take "The ID or full path of the project" (docs.gitlab.com/api/packages/pypi).
            if pid is None:
                return _json(environ, start_response, "404 Not Found", "404 Project Not Found")
            project = reg._projects[pid]
            if (denied := self.authenticate(environ, start_response, project)) is not None:
                return denied
            prefix = path[: len(path) - len(m["rest"] or "")]
            if method == "POST" and not m["rest"]:
                return self.upload(project, prefix, environ, start_response)
            if method in ("GET", "HEAD") and READ_RE.match(m["rest"] or ""):
                return self.mount(project.app, prefix, environ, start_response)
            return _json(environ, start_response, "404 Not Found", "404 Not Found")
        if m := GROUP_RE.match(path):
            gid = m["id"]
            if gid not in reg._groups:
                return _json(environ, start_response, "404 Not Found", "404 Group Not Found")
            if (denied := self.authenticate(environ, start_response, None)) is not None:
                return denied
            # Packages are published to a project, never to a group: the group endpoints only list and
            # download (docs.gitlab.com/user/packages/pypi_repository, docs.gitlab.com/api/packages/pypi
            # has no group upload endpoint).
            if method not in ("GET", "HEAD") or not READ_RE.match(m["rest"] or ""):
                return _json(environ, start_response, "404 Not Found", "404 Not Found")
            prefix = path[: len(path) - len(m["rest"] or "")]
            return self.mount(reg._group_app(gid), prefix, environ, start_response)
        return _json(environ, start_response, "404 Not Found", "404 Not Found")

    def authenticate(self, environ, start_response, project: _Project | None):
        """None when the request may go on, else the error response."""
        # A CI/CD job token authenticates with the user name gitlab-ci-token and the token as the
        # password (docs.gitlab.com/user/packages/pypi_repository, "Authenticate with a CI/CD job
        # token"). Missing or wrong credentials are answered 401 Unauthorized
        # (docs.gitlab.com/api/rest/troubleshooting/#status-codes).
        user, password = _basic_auth(environ.get("HTTP_AUTHORIZATION", ""))
        if (user, password) != (JOB_TOKEN_USER, self.registry.job_token):
            return _json(
                environ,
                start_response,
                "401 Unauthorized",
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="GitLab"')],
            )
        # A job token works only for projects that allow it; GitLab hides the others behind a 404
        # (docs.gitlab.com/ci/jobs/ci_job_token/ "Control job token access to your project", and the
        # 404 status code statement above).
        if project is not None and not project.token_has_access:
            return _json(environ, start_response, "404 Not Found", "404 Project Not Found")
        return None

    def upload(self, project: _Project, prefix: str, environ, start_response):
        # Publishing a file of a package version that is already there is rejected with 400 Bad Request;
        # delete the package first to publish it again (docs.gitlab.com/user/packages/pypi_repository,
        # "Publishing packages with the same name or version"). pypiserver answers 409 for a file it
        # already has; it becomes GitLab's 400.
        held: dict = {}

        def hold(status, headers, exc_info=None):
            held.update(status=status, headers=headers)
            return lambda data: None

        body = list(self.mount(project.app, prefix, environ, hold, path="/"))
        if held["status"].startswith("409"):
            # pypiserver has read the body already.
            return _json(
                {},
                start_response,
                "400 Bad Request",
                "400 Bad request - Validation failed: File name has already been taken",
            )
        start_response(held["status"], held["headers"])
        return body

    @staticmethod
    def mount(app, prefix: str, environ, start_response, path: str | None = None):
        """Call a pypiserver app as if it were mounted at `prefix`."""
        environ = dict(environ)
        rest = path if path is not None else environ.get("PATH_INFO", "")[len(prefix) :]
        environ["SCRIPT_NAME"] = prefix
        environ["PATH_INFO"] = rest or "/"
        return app(environ, start_response)


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None, None
    return user, password


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # keep test output clean
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class Registry:
    """A running registry; URLs point at 127.0.0.1 on the port it listens on."""

    root: Path
    port: int
    job_token: str
    project_id: str = PROJECT_ID
    project_path: str = PROJECT_PATH
    group_id: str = GROUP_ID
    other_project_id: str = OTHER_PROJECT_ID
    job_token_user: str = JOB_TOKEN_USER
    pypi: PyPI | None = None  # pypi.org's stand-in, serving what /public/simple serves
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, status)
    _projects: dict[str, _Project] = field(default_factory=dict, repr=False)
    _groups: dict[str, object] = field(default_factory=dict, repr=False)
    _public_app: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def api_v4(self) -> str:
        return f"{self.url}/api/v4"

    @property
    def public_index_url(self) -> str:
        return f"{self.url}{PUBLIC_PREFIX}/simple"

    def upload_url(self, pid: str | None = None) -> str:
        return f"{self.api_v4}/projects/{pid or self.project_id}/packages/pypi"

    def index_url(self, pid: str | None = None) -> str:
        return f"{self.upload_url(pid)}/simple"

    def group_index_url(self, gid: str | None = None) -> str:
        return f"{self.api_v4}/groups/{gid or self.group_id}/-/packages/pypi/simple"

    def authenticated(self, url: str) -> str:
        """`url` with the job token's credentials in it (for installing in effect checks)."""
        return url.replace("http://", f"http://{self.job_token_user}:{self.job_token}@", 1)

    def install_fresh(self, sandbox, venv: Path, *packages: str, index: str | None = None):
        """Make a new venv in the sandbox and install `packages` from one index of this registry
        (the project index by default), with the job token; returns the `uv pip install` result."""
        created = sandbox.run(["uv", "venv", str(venv)])
        if created.returncode:
            return created
        url = self.authenticated(index or self.index_url())
        return sandbox.run(["uv", "pip", "install", "--python", str(venv), "--default-index", url, *packages])

    def files(self, pid: str | None = None) -> list[str]:
        """Distribution files stored for a project, sorted."""
        return sorted(p.name for p in self._projects[pid or self.project_id].storage.iterdir() if p.is_file())

    def add_public_package(self, path: Path | str) -> None:
        """Put a distribution file on "PyPI", where unknown names are forwarded to."""
        self.pypi.add(path)

    def add_package(self, path: Path | str, pid: str | None = None) -> None:
        """Store a distribution file in a project as if it had been published before."""
        shutil.copy2(path, self._projects[pid or self.project_id].storage / Path(path).name)

    def _resolve_project(self, ident: str) -> str | None:
        """GitLab takes "The ID or URL-encoded path of the project" (docs.gitlab.com/api/packages/pypi)."""
        if ident == self.project_path:  # PATH_INFO arrives percent-decoded
            return self.project_id
        return ident if ident in self._projects else None

    def _group_app(self, gid: str):
        return self._groups[gid]


@contextlib.contextmanager
def start_registry(root: Path) -> Iterator[Registry]:
    """Start a registry storing its files under `root`; stop it on exit."""
    (root / "projects").mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", 0, lambda e, s: app(e, s), server_class=_Server, handler_class=_Handler)
    registry = Registry(root=root, port=server.server_port, job_token=f"glcbt-{secrets.token_hex(16)}")
    # "package requests that cannot be found in the GitLab registry are automatically forwarded to
    # pypi.org" (docs.gitlab.com/user/packages/pypi_repository, "Package request forwarding security
    # notice"): GitLab redirects the request (gitlab-org/gitlab!67962, "Add PyPI package requests
    # forward"); here to the public index of this server, which serves what pypi.org's stand-in does.
    fallback = registry.public_index_url
    for pid, has_access in ((registry.project_id, True), (registry.other_project_id, False)):
        storage = root / "projects" / pid
        storage.mkdir()
        registry._projects[pid] = _Project(
            storage, _pypiserver([storage], fallback), registry.group_id, has_access
        )
    # The group index lists the packages of the group's projects the caller can read
    # (docs.gitlab.com/api/packages/pypi, "Group-level simple API index").
    members = [
        p.storage for p in registry._projects.values() if p.group == registry.group_id and p.token_has_access
    ]
    registry._groups[registry.group_id] = _pypiserver(members, fallback)
    app = _GitLabLayer(registry)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with start_pypi(root / "pypi", ensure_wheelhouse()) as registry.pypi:
            registry._public_app = _pypiserver([registry.pypi.extra, FILES], None)
            yield registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

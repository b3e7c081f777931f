"""What the loopback HTTPS servers serve: files (optionally behind HTTP Basic auth), laid out as a
PEP 503 package index or as a bare Git repository for Git's "dumb" HTTP protocol."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

from .tls import QuietHandler
from .uv_under_test import copy_project


def static_handler(root: Path, *, user: str | None = None, password: str | None = None):
    """A handler serving the files under `root`; with a user, only to HTTP Basic auth as that user."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else None

    class Handler(QuietHandler):
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
    """A bare copy of the project `source` at root/path, ready for Git's "dumb" HTTP protocol (its
    uv_build bounds those of the uv under test, as for every fixture project)."""
    work = copy_project(source, root.parent / (root.name + "-work"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    ident = ["-c", "user.name=checker", "-c", "user.email=checker@example.invalid"]
    ident += ["-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "initial"]):
        subprocess.run(["git", *ident, *args], cwd=work, env=env, check=True, capture_output=True)
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(target)], env=env, check=True, capture_output=True
    )
    subprocess.run(["git", "update-server-info"], cwd=target, env=env, check=True, capture_output=True)

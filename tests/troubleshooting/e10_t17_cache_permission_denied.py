"""T17. Failed to initialize cache: Permission denied (a user ID without a home)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from effects import effect
from effects._common import job_dir
from harness.fix_jobs import job
from harness.sandbox import CLOSED_INDEX
from harness.uv_under_test import current

from troubleshooting._in_sandbox import MY_PACKAGE, copy_project
from troubleshooting._reproducer import Marked, failed, ok, reproduces


def _nobody(script: str, cwd: Path, env: dict[str, str]):
    """Run as user 65534 when we are root (setpriv), else as ourselves: neither may write to /."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    argv = [*prefix, "bash", "-c", "exec 2>&1\n" + script]
    return subprocess.run(argv, cwd=cwd, env=env, text=True, capture_output=True, timeout=60, check=False)


@reproduces("T17")
def test_cache_not_writable(entry, sandbox, request):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        raise Marked("running as root without setpriv: cannot act as a user without a home")
    if os.geteuid() != 0 and os.access("/", os.W_OK):
        raise Marked("/ is writable for this user")
    # The sandbox lives in pytest's private temp dir, which user 65534 cannot enter: use a
    # world-readable temp dir of our own, removed afterwards.
    base = Path(tempfile.mkdtemp(prefix="uv-checker-uid-"))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    base.chmod(0o755)
    (base / "bin").mkdir()
    # A copy, not a link: the checkout holding the uv under test may be closed to other users.
    shutil.copy2(current().binary, base / "bin" / "uv")
    proj = copy_project(MY_PACKAGE, base / "project")
    (base / "tmp").mkdir()
    if os.geteuid() == 0:
        for path in [base / "tmp", proj, *proj.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    env = {
        "PATH": f"{base / 'bin'}:/usr/bin:/bin",
        "HOME": "/",
        "TMPDIR": str(base / "tmp"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_DEFAULT_INDEX": CLOSED_INDEX,
        "NO_COLOR": "1",
    }
    entry.shows(entry.block("Permission denied"), failed(entry.where, _nobody("uv build", proj, env)))
    fix = job(entry.fix("cache-in-project.yml"), {})
    ok(fix.where, _nobody("uv build", proj, {**env, **fix.variables}))
    assert list((proj / "dist").glob("*.whl")), f"{fix.where}: the build made no wheel"


CACHED_SYNC = """
test:
  cache:
    key: uv
    paths:
      - .uv-cache
  script:
    - uv sync --locked
"""


@effect("snippets/troubleshooting/cache-in-project.yml", host=CACHED_SYNC)
def the_cache_is_in_the_build_directory(run):
    assert (job_dir(run, "test") / ".uv-cache" / "CACHEDIR.TAG").is_file(), "no uv cache in the build dir"
    assert any((c / ".uv-cache").is_dir() for c in run.cache_dirs()), "GitLab did not save .uv-cache"
    default = Path(run.sandbox.env["UV_CACHE_DIR"])
    assert not any(default.iterdir()), f"uv still wrote to its default cache {default}"

"""T1. Failed to hardlink files; falling back to full copy."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from effects import effect
from effects._common import imports, job_dir, log_of
from harness.fix_jobs import job, sh

from troubleshooting._in_sandbox import built
from troubleshooting._reproducer import Marked, absent, ok, reproduces


@reproduces("T1")
def test_hardlink_across_file_systems(entry, sandbox, request):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == sandbox.root.stat().st_dev:
        raise Marked("needs a second file system (/dev/shm) for uv's cache")
    cache = Path(tempfile.mkdtemp(prefix="uv-checker-cache-", dir=shm))
    request.addfinalizer(lambda: shutil.rmtree(cache, ignore_errors=True))
    proj, _ = built(sandbox)
    install = "uv venv -q --clear .venv && uv pip install dist/*.whl"
    out = ok(entry.where, sh(sandbox, install, cwd=proj, env={"UV_CACHE_DIR": str(cache)}))
    block = entry.block("hardlink")
    entry.shows(block, out)
    fix = job(entry.fix("link-mode-copy.yml"), {})
    out = ok(fix.where, sh(sandbox, install, cwd=proj, env={"UV_CACHE_DIR": str(cache), **fix.variables}))
    absent(block, out)


# A cache on another file system than the project, as in GitLab's job containers.
OTHER_FS_SYNC = """
test:
  script:
    - export UV_CACHE_DIR="$(mktemp -d /dev/shm/uv-effects-cache-XXXXXX)"
    - trap 'rm -rf "$UV_CACHE_DIR"' EXIT
    - test "$(stat -c %d "$UV_CACHE_DIR")" != "$(stat -c %d .)"
    - uv sync --locked
"""


@effect("snippets/troubleshooting/link-mode-copy.yml", host=OTHER_FS_SYNC)
def copies_across_file_systems_without_the_warning(run):
    assert "Failed to hardlink" not in log_of(run, "test"), "uv still warns about hard links"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"

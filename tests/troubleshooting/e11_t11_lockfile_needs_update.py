"""T11. The lockfile needs to be updated, but `--locked` was provided."""

from __future__ import annotations

from harness.fix_jobs import sh

from troubleshooting._in_sandbox import project
from troubleshooting._reproducer import failed, need, ok, reproduces

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


@reproduces("T11")
def test_lockfile_out_of_date(entry, sandbox, request):
    need("git")
    proj = project(sandbox)
    ok(entry.where, sh(sandbox, "uv lock -q", cwd=proj))
    commit = "git init -q && git add . && git commit -qm initial"
    ok(entry.where, sh(sandbox, commit, cwd=proj, env=GIT_IDENTITY))
    # Someone bumps the version without locking again.
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    entry.shows(entry.block("--locked"), failed(entry.where, sh(sandbox, "uv sync --locked", cwd=proj)))
    fixes = entry.blocks_of("bash")
    assert fixes, f"{entry.where}: the section shows no bash block with the fix"
    ok(entry.where, sh(sandbox, "set -eo pipefail\n" + fixes[0].source, cwd=proj, env=GIT_IDENTITY))
    ok(entry.where, sh(sandbox, "uv sync --locked", cwd=proj))

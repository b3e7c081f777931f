"""T20. `uv version` fails: No `pyproject.toml` found."""

from __future__ import annotations

from effects import effect
from effects._common import log_of
from harness.fix_jobs import job, run_job, sh
from harness.uv_under_test import current

from troubleshooting._in_pipeline import uv_versions
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T20")
def test_uv_version_without_project(entry, sandbox, request):
    entry.shows(entry.block("pyproject.toml"), failed(entry.where, sh(sandbox, "uv version")))
    fix = job(entry.fix("print-uv-version.yml"), {})
    out = ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))
    assert out.split()[:2] == ["uv", current().version], out


@effect("snippets/troubleshooting/print-uv-version.yml")
def uv_prints_its_own_version(run):
    assert uv_versions(log_of(run, "versions")) == [current().version], "the job did not log uv's version"

"""T8. `--check-url` fails on the first publish of a package (uv 0.9.x to 0.11.16)."""

from __future__ import annotations

from harness.entries import entries
from harness.fix_jobs import job, run_job

from troubleshooting._in_sandbox import add_to_pyproject, built, ci, page_toml
from troubleshooting._reproducer import ok, reproduces


@reproduces("T8")
def test_check_url_on_first_publish(entry, sandbox, request):
    # The publishing recipe (T4) on an empty registry: its index is the check URL, and GitLab
    # forwards the check for a package it does not have.
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    t4 = entries()["T4"]
    add_to_pyproject(proj, page_toml(t4.fix("gitlab-publish-index.toml"), registry.url))
    fix = job(t4.fix("publish-with-job-token.yml"), ci(registry))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert registry.files() == [d.name for d in dists], registry.files()
    redirects = [r for r in registry.requests if r[2] in ("301", "302", "303", "307")]
    assert redirects, "the registry did not forward the check for the unknown package"

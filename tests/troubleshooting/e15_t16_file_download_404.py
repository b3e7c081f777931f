"""T16. 404 when downloading files from a second project's registry (uv < 0.5.26)."""

from __future__ import annotations

from harness.entries import entries
from harness.fix_jobs import job, sh

from troubleshooting._in_sandbox import built, ci, consumer, page_toml, publish_to
from troubleshooting._reproducer import ok, reproduces


@reproduces("T16")
def test_file_downloads_outside_simple(entry, sandbox, request):
    # The fix is T5's: a named index with its credentials. File URLs lie outside /simple.
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    publish_to(registry, dists)
    t5 = entries()["T5"]
    app = consumer(sandbox, page_toml(t5.fix("gitlab-index.toml"), registry.url))
    credentials = job(t5.fix("index-credentials.yml"), ci(registry))
    ok(credentials.where, sh(sandbox, "uv sync", cwd=app, env=credentials.variables))
    files = [(m, p, s) for m, p, s in registry.requests if "/simple" not in p and p.endswith(".whl")]
    assert files and all(s.startswith("2") for _, _, s in files), f"file requests: {files}"

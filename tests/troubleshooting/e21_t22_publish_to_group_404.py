"""T22. Publishing to a group fails with 404."""

from __future__ import annotations

from harness.entries import entries
from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_sandbox import add_to_pyproject, built, ci, consumer, page_toml
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T22")
def test_publish_to_group(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    creds = {"UV_PUBLISH_USERNAME": "gitlab-ci-token", "UV_PUBLISH_PASSWORD": registry.job_token}
    group_upload = registry.group_index_url().removesuffix("/simple")
    out = failed(entry.where, sh(sandbox, f"uv publish --publish-url {group_upload}", cwd=proj, env=creds))
    entry.shows(entry.block("groups"), out)
    # The fix: the publishing recipe (T4), whose publish-url names a project.
    t4 = entries()["T4"]
    add_to_pyproject(proj, page_toml(t4.fix("gitlab-publish-index.toml"), registry.url))
    fix = job(t4.fix("publish-with-job-token.yml"), ci(registry))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert registry.files() == [d.name for d in dists], registry.files()
    assert not [r for r in registry.requests if "/groups/" in r[1] and r[0] == "POST" and r[2] == "200"]
    # Installing from the group's index.
    app = consumer(sandbox, page_toml(entry.fix("group-index.toml"), registry.url))
    readers = {
        "UV_INDEX_GITLAB_GROUP_USERNAME": "gitlab-ci-token",
        "UV_INDEX_GITLAB_GROUP_PASSWORD": registry.job_token,
    }
    ok(entry.where, sh(sandbox, "uv sync && uv run python -c 'import my_package'", cwd=app, env=readers))

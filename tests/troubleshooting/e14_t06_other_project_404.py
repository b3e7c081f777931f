"""T6. Another project's registry answers 404 to `CI_JOB_TOKEN` (the job-token allowlist)."""

from __future__ import annotations

from harness.fix_jobs import sh

from troubleshooting._in_sandbox import built
from troubleshooting._reproducer import failed, reproduces


@reproduces("T6", marked="the job-token allowlist is a setting of a GitLab server")
def test_other_project_without_allowlist(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, _ = built(sandbox)
    other = registry.authenticated(registry.index_url(registry.other_project_id))
    install = f"uv venv -q && uv pip install --default-index {other} my-package"
    entry.shows(entry.block("not found in the package registry"), failed(entry.where, sh(sandbox, install)))
    publish = f"uv publish --publish-url {registry.upload_url(registry.other_project_id)}"
    token = {"UV_PUBLISH_USERNAME": registry.job_token_user, "UV_PUBLISH_PASSWORD": registry.job_token}
    out = failed(entry.where, sh(sandbox, publish, cwd=proj, env=token))
    entry.shows(entry.block("404 Project Not Found"), out)

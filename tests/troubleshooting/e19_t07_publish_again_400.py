"""T7. Publishing again fails with 400 Bad Request (the version is there already)."""

from __future__ import annotations

from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_sandbox import add_to_pyproject, ci, page_toml, project
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T7")
def test_publish_same_version_twice(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj = project(sandbox)
    pyproject = proj / "pyproject.toml"
    add_to_pyproject(proj, page_toml(entry.fix("gitlab-publish-index.toml"), registry.url))
    ok(entry.where, sh(sandbox, "uv build -q", cwd=proj))
    creds = {"UV_PUBLISH_USERNAME": "gitlab-ci-token", "UV_PUBLISH_PASSWORD": registry.job_token}
    publish = f"uv publish --publish-url {registry.upload_url()}"
    ok(entry.where, sh(sandbox, publish, cwd=proj, env=creds))
    block = entry.block("400 Bad Request")
    entry.shows(block, failed(entry.where, sh(sandbox, publish, cwd=proj, env=creds)))
    # The page says a check URL with only the upload credentials does not help.
    check = f"{publish} --check-url {registry.index_url()}"
    entry.shows(block, failed(entry.where, sh(sandbox, check, cwd=proj, env=creds)))
    # The fix: the publishing recipe, shown again in this section with its output.
    shown = entry.fix("publish-with-job-token.yml")
    fix = job(shown, ci(registry))
    rerun = f"rm -rf {proj / 'dist'}"  # each run of the job starts from a clean checkout
    ok(entry.where, sh(sandbox, rerun))
    entry.shows(entry.output_of(shown), ok(fix.where, run_job(sandbox, fix, cwd=proj, env={})))
    # Changed sources, same version: the hashes differ.
    pyproject.write_text(pyproject.read_text().replace("The package the", "The (changed) package the"))
    ok(entry.where, sh(sandbox, rerun))
    entry.shows(entry.block("do not match"), failed(fix.where, run_job(sandbox, fix, cwd=proj, env={})))
    # New versions go up with the same job.
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    ok(entry.where, sh(sandbox, rerun))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert any("1.0.1" in name for name in registry.files()), registry.files()

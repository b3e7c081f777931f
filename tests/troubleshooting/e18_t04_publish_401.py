"""T4. Publishing to the GitLab registry fails: 401, or trusted publishing also failed.

The fix is the guide's one publishing recipe: a named index with `publish-url` in pyproject.toml and
`uv publish --index gitlab` with the index's credentials. T7 shows the same job again.
"""

from __future__ import annotations

import shutil

from effects import effect
from effects._common import log_of
from harness.entries import output_after
from harness.fix_jobs import job, run_job, sh
from harness.quoted import assert_shows
from harness.registry import start_registry

from troubleshooting._in_pipeline import SAMPLE_FILES, build_my_package, refused, snippet_toml, use_my_package
from troubleshooting._in_sandbox import add_to_pyproject, built, ci, page_toml
from troubleshooting._reproducer import absent, failed, ok, reproduces


@reproduces("T4")
def test_publish_401(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    index = entry.fix("gitlab-publish-index.toml")
    add_to_pyproject(proj, page_toml(index, registry.url))
    recipe = "uv publish --index gitlab"
    wrong = {"UV_INDEX_GITLAB_USERNAME": "gitlab-ci-token", "UV_INDEX_GITLAB_PASSWORD": "not-the-token"}
    out = failed(entry.where, sh(sandbox, recipe, cwd=proj, env={**ci(), **wrong}))
    entry.shows(entry.block("401"), out)
    # The page says --token sends the user name __token__, which GitLab refuses the same way.
    publish = f"uv publish --publish-url {registry.upload_url()}"
    as_token = {"UV_PUBLISH_TOKEN": registry.job_token}
    out = failed(entry.where, sh(sandbox, publish, cwd=proj, env={**ci(), **as_token}))
    entry.shows(entry.block("401"), out)
    no_user = {"UV_PUBLISH_PASSWORD": registry.job_token}
    out = failed(entry.where, sh(sandbox, publish, cwd=proj, env={**ci(), **no_user}))
    entry.shows(entry.block("no username"), out)
    out = failed(entry.where, sh(sandbox, recipe, cwd=proj, env=ci()))
    entry.shows(entry.block("Trusted publishing also failed"), out)
    entry.shows(entry.block("Missing credentials"), out)
    assert registry.files() == [], f"a refused upload stored files: {registry.files()}"
    fix = job(entry.fix("publish-with-job-token.yml"), ci(registry))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert registry.files() == [d.name for d in dists], registry.files()
    # The debugging variant, against a second registry: it logs where the credentials came from.
    with start_registry(request.getfixturevalue("tmp_path") / "registry-2") as second:
        shutil.rmtree(proj / "dist")
        pyproject = proj / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace(registry.url, second.url))
        shown = entry.fix("publish-verbose.yml")
        verbose = job(shown, ci(second))
        out = ok(verbose.where, run_job(sandbox, verbose, cwd=proj, env={}))
        entry.shows(entry.output_of(shown), out)
        assert second.job_token not in out, "uv -vv printed the job token"
        assert second.files() == [d.name for d in dists], second.files()
        # The page says the first line is missing when the variables name another index.
        misnamed = {"UV_INDEX_REGISTRY_USERNAME": "gitlab-ci-token", "UV_INDEX_REGISTRY_PASSWORD": "x"}
        publish = next(line for line in verbose.script if line.startswith("uv publish"))
        out = failed(verbose.where, sh(sandbox, publish, cwd=proj, env={**ci(second), **misnamed}))
        absent(entry.output_of(shown), out)


def _retried_release(workdir, registry):
    """my-package with the page's index; an earlier run of the job uploaded the wheel only."""
    use_my_package(workdir)
    add_to_pyproject(workdir, snippet_toml("gitlab-publish-index.toml", registry.url))
    wheel = [d for d in build_my_package(workdir.parent) if d.name.endswith(".whl")]
    for dist in wheel:
        registry.add_package(dist)


@effect("snippets/troubleshooting/publish-with-job-token.yml", prepare=_retried_release)
def publishes_with_the_job_token_and_skips_what_is_there(run):
    # T4: the job token, sent as the index's credentials, uploads; T7: a re-run skips the file
    # the registry has (the output block T7 shows after this job) and uploads the rest.
    assert_shows(output_after("publish-with-job-token.yml"), log_of(run, "publish"))
    assert not refused(run), f"the registry refused requests: {refused(run)}"
    uploads = [r for r in run.registry.requests if r[0] == "POST"]
    assert len(uploads) == 1, f"expected one upload (the sdist), got {uploads}"
    assert run.registry.files() == ["my_package-1.0.0-py3-none-any.whl", "my_package-1.0.0.tar.gz"]


def _publish_index(workdir, registry):
    add_to_pyproject(workdir, snippet_toml("gitlab-publish-index.toml", registry.url))


@effect("snippets/troubleshooting/publish-verbose.yml", prepare=_publish_index)
def published_and_the_log_shows_where_the_credentials_came_from(run):
    log = log_of(run, "publish")
    assert_shows(output_after("publish-verbose.yml"), log)
    assert run.registry.job_token not in log, "the job token is in the log"
    assert run.registry.files() == SAMPLE_FILES, run.registry.files()

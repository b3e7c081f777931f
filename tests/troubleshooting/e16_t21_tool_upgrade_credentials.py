"""T21. `uv tool upgrade` fails: Missing credentials."""

from __future__ import annotations

import shutil

from effects import effect
from effects._common import log_of
from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_pipeline import build_my_package
from troubleshooting._in_sandbox import built, ci, publish_to
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T21")
def test_tool_upgrade_without_credentials(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    publish_to(registry, dists)
    fix = job(entry.fix("tool-upgrade-credentials.yml"), ci(registry))
    install = f"uv tool install --index gitlab={registry.index_url()} my-package"
    ok(entry.where, sh(sandbox, install, env=fix.variables))  # the installing job has the credentials
    upgrade = failed(entry.where, sh(sandbox, "uv tool upgrade my-package"))
    entry.shows(entry.block("Failed to upgrade"), upgrade)
    ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))


def _tool_from_registry(workdir, registry):
    """my-package 1.0.0 in the registry; 1.0.1 in the repository, for a release job to publish."""
    for dist in build_my_package(workdir.parent, "1.0.0"):
        registry.add_package(dist)
    (workdir / "new-release").mkdir()
    for dist in build_my_package(workdir.parent, "1.0.1"):
        shutil.copy2(dist, workdir / "new-release")


# One job installs the tool (with credentials), a release follows, then the fragment's job upgrades.
INSTALL_THEN_RELEASE = """
install-tools:
  stage: .pre
  variables:
    UV_INDEX_GITLAB_USERNAME: gitlab-ci-token
    UV_INDEX_GITLAB_PASSWORD: ${CI_JOB_TOKEN}
  script:
    - uv tool install --index "gitlab=$CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/pypi/simple" my-package

release:
  stage: build
  variables:
    UV_PUBLISH_URL: ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi
    UV_PUBLISH_USERNAME: gitlab-ci-token
    UV_PUBLISH_PASSWORD: ${CI_JOB_TOKEN}
  script:
    - uv publish new-release/*
"""


@effect(
    "snippets/troubleshooting/tool-upgrade-credentials.yml",
    host=INSTALL_THEN_RELEASE,
    prepare=_tool_from_registry,
)
def the_tool_is_upgraded(run):
    assert "my-package v1.0.0 -> v1.0.1" in log_of(run, "upgrade-tools"), "the upgrade did not happen"
    listed = run.sandbox.run(["uv", "tool", "list"]).stdout
    assert "my-package v1.0.1" in listed, f"uv tool list shows:\n{listed}"

"""Effects of the pipelines on docs/private-packages.md."""

from __future__ import annotations

import re
from pathlib import Path

from effects import effect
from effects._common import ROOT, imports, job_dir, log_of, make_wheel, run_uv

# The Git server of the troubleshooting page's git-over-https fix: my-package in a repository that
# this GitLab serves over HTTPS to the job token only, and the sample depending on it by ssh:// URL.
from harness.tls import stop_background_servers
from troubleshooting.e17_t12_git_not_found import git_server

TOML = ROOT / "snippets" / "private-packages" / "pyproject-index.toml"
PLACEHOLDER_API = "https://gitlab.example.com/api/v4"


def _private_dependency(workdir, registry):
    """The page's pyproject.toml excerpt, pointed at the local registry, in the sample project.

    acme-utils is published to the project (which is in the group the excerpt's URL names), the
    sample depends on it, and uv.lock is made with the job token's credentials, as a developer
    would with their own.
    """
    wheel = make_wheel(workdir.parent, "acme-utils", "1.0.0", "def hello():\n    return 'hello from acme'\n")
    registry.add_package(wheel)
    text = TOML.read_text()
    assert PLACEHOLDER_API in text, f"{TOML.relative_to(ROOT)}: the index URL no longer uses {PLACEHOLDER_API}"
    index, _, sources = text.partition("[tool.uv.sources]\n")
    index = index.replace(PLACEHOLDER_API, registry.api_v4)
    pyproject = workdir / "pyproject.toml"
    project = pyproject.read_text()
    project = project.replace('dependencies = ["sample-lib"]', 'dependencies = ["sample-lib", "acme-utils"]', 1)
    project = project.replace("[tool.uv.sources]\n", "[tool.uv.sources]\n" + sources.strip() + "\n", 1)
    pyproject.write_text(project.rstrip("\n") + "\n\n" + index)
    credentials = {"UV_INDEX_GITLAB_USERNAME": registry.job_token_user, "UV_INDEX_GITLAB_PASSWORD": registry.job_token}
    result = run_uv(["lock"], workdir, workdir.parent / "prepare-uv", credentials)
    assert result.returncode == 0, f"uv lock with the excerpt failed:\n{result.stderr}"


@effect("snippets/private-packages/sync-with-job-token.yml", prepare=_private_dependency)
def the_private_package_came_with_the_job_token(run):
    venv = job_dir(run, "test") / ".venv/bin/python"
    assert imports(run, venv, "acme_utils"), "acme-utils is not in the job's .venv"
    group = re.compile(rf"^/api/v4/groups/{registry_group(run)}/-/packages/pypi/simple/acme-utils/?$")
    asked = [r for r in run.registry.requests if group.match(r[1])]
    assert asked, "nobody asked the group index for acme-utils"
    refused = [r for r in run.registry.requests if r[2] == "401"]
    assert not refused, f"uv asked the registry without credentials first: {refused}"


def registry_group(run) -> str:
    return run.registry.group_id


def _published_acme_utils(workdir, registry):
    """acme-utils, the package the job installs, is in the project's registry."""
    registry.add_package(make_wheel(workdir.parent, "acme-utils", "1.0.0", "def hello():\n    return 1\n"))


@effect("snippets/private-packages/install-from-registry.yml", prepare=_published_acme_utils)
def the_package_installs_from_the_registry_by_name(run):
    venv = job_dir(run, "smoke-test") / ".venv/bin/python"
    assert imports(run, venv, "acme_utils"), "acme-utils from the registry is not in .venv"
    assert "Version: 1.0.0" in log_of(run, "smoke-test"), "`uv pip show` did not show the package"
    index = re.compile(rf"^/api/v4/projects/{run.registry.project_id}/packages/pypi/simple/acme-utils/?$")
    assert any(index.match(r[1]) and r[2] == "200" for r in run.registry.requests), (
        "acme-utils did not come from the project's index"
    )


@effect("snippets/private-packages/git-dependency.yml", prepare=git_server)
def the_git_dependency_came_with_the_job_token(run):
    stop_background_servers()
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "my_package"), "my-package is not in .venv"
    token = run.registry.job_token
    key = f"url.https://gitlab-ci-token:{token}@127.0.0.1/.insteadOf"
    rewrites = run.sandbox.run(["git", "config", "--global", "--get-all", key])
    assert rewrites.stdout.split() == ["ssh://git@127.0.0.1/", "git@127.0.0.1:", "https://127.0.0.1/"], (
        f"the job's Git configuration lacks the three rewrites: {rewrites.stdout or rewrites.stderr}"
    )
    # The token is in the job's Git configuration only: not in the project, uv.lock or uv's cache.
    places = [directory, Path(run.sandbox.env["UV_CACHE_DIR"])]
    written = [p for d in places for p in d.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert not written, f"the job token was written to {written}"

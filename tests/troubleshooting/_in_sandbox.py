"""Setups the reproductions share: the page's package built, a project that depends on it, the CI
variables of a job, a second sandbox for a later job."""

from __future__ import annotations

from pathlib import Path

from harness.collect import ROOT, Example
from harness.fix_jobs import sh
from harness.sandbox import make_sandbox
from harness.uv_under_test import copy_project

from troubleshooting._reproducer import ok

# The package the page's messages name (my-package, project 42 of group 7), as a project.
MY_PACKAGE = ROOT / "tests" / "fixtures" / "troubleshooting" / "my-package"
SAMPLE_PROJECT = ROOT / "tests" / "fixtures" / "sample-project"
# The host the page's TOML examples name; tests put the local server's address in its place.
PAGE_HOST = "https://gitlab.example.com"


def at_host(text: str, url: str, where: str) -> str:
    """A TOML example of the page, pointed at the local server `url` instead of gitlab.example.com."""
    assert PAGE_HOST in text, f"{where}: expected the example host {PAGE_HOST}"
    return text.replace(PAGE_HOST, url)


def page_toml(example: Example, url: str) -> str:
    return at_host(example.source, url, example.where())


def project(sandbox, name: str = "my-package") -> Path:
    """A copy of my-package in the sandbox's work directory."""
    return copy_project(MY_PACKAGE, sandbox.root / "work" / name)


def built(sandbox) -> tuple[Path, list[Path]]:
    """my-package, built (uv's own backend builds offline): the project and its files."""
    proj = project(sandbox)
    ok(f"{MY_PACKAGE.relative_to(ROOT)}/pyproject.toml:1", sh(sandbox, "uv build -q", cwd=proj))
    return proj, sorted(p for p in (proj / "dist").iterdir() if p.name.endswith((".whl", ".tar.gz")))


def consumer(sandbox, toml: str = "", name: str = "app", dependency: str = "my-package") -> Path:
    """A virtual project that depends on `dependency`, with extra pyproject TOML appended."""
    app = sandbox.root / "work" / name
    app.mkdir(parents=True)
    (app / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{dependency}"]\n\n{toml}'
    )
    return app


def add_to_pyproject(proj: Path, toml: str) -> None:
    """Append TOML (an index definition) to the project's pyproject.toml."""
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + toml)


def ci(registry=None, **extra) -> dict[str, str]:
    """Predefined CI/CD variables of a job in project 42 (GitLab sets GITLAB_CI in every job)."""
    env = {"CI": "true", "GITLAB_CI": "true"}
    if registry is not None:
        env.update(
            CI_API_V4_URL=registry.api_v4,
            CI_PROJECT_ID=registry.project_id,
            CI_JOB_TOKEN=registry.job_token,
            CI_SERVER_HOST=registry.host,
        )
    return {**env, **extra}


def publish_to(registry, dists) -> None:
    """Store the files in project 42 as an earlier release job would have."""
    for dist in dists:
        registry.add_package(dist)


def fresh_sandbox(request, name: str):
    """Another sandbox in the same test: a later job on a new container."""
    return make_sandbox(
        request.getfixturevalue("tmp_path") / name, request.getfixturevalue("python_templates")
    )

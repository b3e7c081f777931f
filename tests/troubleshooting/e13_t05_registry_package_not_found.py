"""T5. A package from your GitLab registry is not found (the index has no credentials)."""

from __future__ import annotations

from effects import effect
from effects._common import imports, job_dir, make_wheel
from harness.fix_jobs import job, sh

from troubleshooting._in_pipeline import depend_on_my_package, refused, snippet_toml
from troubleshooting._in_sandbox import built, ci, consumer, page_toml, publish_to
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T5")
def test_private_index_without_credentials(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    publish_to(registry, dists)
    install = f"uv venv -q && uv pip install --default-index {registry.index_url()} my-package"
    entry.shows(entry.block("lack of valid authentication"), failed(entry.where, sh(sandbox, install)))
    app = consumer(sandbox, page_toml(entry.fix("gitlab-index.toml"), registry.url))
    entry.shows(entry.block("Missing credentials"), failed(entry.where, sh(sandbox, "uv lock", cwd=app)))
    credentials = job(entry.fix("index-credentials.yml"), ci(registry))
    use = "uv sync && uv run python -c 'import my_package'"
    ok(credentials.where, sh(sandbox, use, cwd=app, env=credentials.variables))


def _private_my_package(workdir, registry):
    """my-package in the project's registry; the sample depends on it through the page's TOML."""
    registry.add_package(make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 1\n"))
    credentials = {
        "UV_INDEX_GITLAB_USERNAME": registry.job_token_user,
        "UV_INDEX_GITLAB_PASSWORD": registry.job_token,
    }
    depend_on_my_package(workdir, snippet_toml("gitlab-index.toml", registry.url), env=credentials)


SYNC = """
test:
  script:
    - uv sync --locked
"""


@effect("snippets/troubleshooting/index-credentials.yml", host=SYNC, prepare=_private_my_package)
def the_private_package_installs(run):
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "my_package"), "my-package not in .venv"
    assert not refused(run), f"the registry refused requests: {refused(run)}"

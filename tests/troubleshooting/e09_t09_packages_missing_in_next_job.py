"""T9. Package(s) not found: what one job installed is missing in the next."""

from __future__ import annotations

import re
import shutil

from effects import effect
from effects._common import log_of, make_wheel
from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_pipeline import requirements
from troubleshooting._in_sandbox import built, ci, fresh_sandbox, publish_to
from troubleshooting._reproducer import failed, ok, reproduces

# my-package in the table `uv pip list` prints.
LISTED = re.compile(r"^my-package +1\.0\.0$", re.MULTILINE)


@reproduces("T9")
def test_installs_do_not_travel_with_the_cache(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    publish_to(registry, dists)
    app = sandbox.root / "work" / "app"
    app.mkdir()
    requirements(app, "my-package")
    fix = job(entry.fix("install-in-every-job.yml"), ci(registry))
    index = {"UV_DEFAULT_INDEX": registry.authenticated(registry.index_url())}
    cache = {"UV_CACHE_DIR": fix.variables["UV_CACHE_DIR"]}
    # Job 1 installs; GitLab then saves the cache directory and throws the container away.
    install = "uv venv -q && uv pip install -r requirements.txt"
    ok(entry.where, sh(sandbox, install, cwd=app, env={**index, **cache}))
    later = fresh_sandbox(request, "next-job")
    shutil.copytree(app, later.root / "work" / "app", ignore=shutil.ignore_patterns(".venv"))
    app = later.root / "work" / "app"
    show = "uv venv -q && uv pip show my-package"
    out = failed(entry.where, sh(later, show, cwd=app, env={**index, **cache}))
    entry.shows(entry.block("not found"), out)
    # The fixed job, in another new container with the same cache restored.
    fixed = fresh_sandbox(request, "fixed-job")
    shutil.copytree(app, fixed.root / "work" / "app", ignore=shutil.ignore_patterns(".venv"))
    before = len(registry.requests)
    env = {**index, "UV_OFFLINE": "1"}
    out = ok(fix.where, run_job(fixed, fix, cwd=fixed.root / "work" / "app", env=env))
    assert len(registry.requests) == before, "the fix downloaded again instead of using the cache"
    assert LISTED.search(out), f"{fix.where}: my-package is not listed:\n{out}"


def _requirements_from_registry(workdir, registry):
    """my-package published to the project; requirements.txt names it and the project's index."""
    wheel = make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 'hello'\n")
    registry.add_package(wheel)
    requirements(workdir, f"--index-url {registry.authenticated(registry.index_url())}", "my-package")


# A later job with the cache the first one saved, and no network.
LATER_JOB = """
later-job:
  extends: test
  stage: deploy
"""


@effect(
    "snippets/troubleshooting/install-in-every-job.yml",
    host=LATER_JOB,
    prepare=_requirements_from_registry,
)
def every_job_installs_again(run):
    for name in ("test", "later-job"):
        assert LISTED.search(log_of(run, name)), f"{name}: `uv pip list` does not list my-package"
    assert "later-job imported cache" in run.log, "the later job got no cache"

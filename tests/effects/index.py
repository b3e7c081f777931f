"""Effects of the pipelines on docs/index.md."""

from __future__ import annotations

import re

from effects import effect
from effects._common import imports, job_dir, log_of, sample_dists, sandbox_python
from effects.caching import assert_key_follows
from effects.publishing import assert_credentials_everywhere, publish_index
from harness.uv_under_test import current


@effect("snippets/index/uv-image.yml")
def uv_reports_the_pinned_version_and_tests_pass(run):
    """The `uv` job ran the uv under test (the pin, unless `--uv` names another), synced the
    project and ran its tests."""
    uv_version = current().version
    log = log_of(run, "uv")
    assert re.search(rf"^uv {re.escape(uv_version)} \(", log, re.MULTILINE), f"`uv --version` did not print uv {uv_version}"
    assert "Ran 2 tests" in log, "the sample's two tests did not run"


@effect("snippets/index/cache.yml")
def the_cache_is_in_the_project_and_pruned(run):
    log = log_of(run, "uv-install")
    assert "Pruning cache at: .uv-cache" in log, "after_script did not prune the cache in .uv-cache"
    caches = run.cache_dirs()
    assert caches, "GitLab saved no cache"
    assert any((c / ".uv-cache").is_dir() for c in caches), f"no saved cache holds .uv-cache: {caches}"
    assert_key_follows(run, "uv.lock")


@effect("snippets/index/uv-pip.yml")
def the_project_went_into_the_system_python(run):
    assert imports(run, sandbox_python(run), "sample"), "sample is not installed in the system Python"
    assert not (job_dir(run, "install") / ".venv").exists(), "the job made a virtual environment"
    # The tests import the project from the system Python: src/ is not on its path.
    assert "Ran 2 tests" in log_of(run, "install"), "unittest did not run the project's tests"


@effect("snippets/index/publish.yml", tag="v0.1.0", prepare=publish_index)
def every_package_is_in_the_registry(run):
    assert run.registry.files() == sample_dists("0.1.0")
    assert_credentials_everywhere(run)

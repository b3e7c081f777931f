"""Effects of the pipelines on docs/projects.md (the matrix is shown on docs/caching.md too)."""

from __future__ import annotations

from effects import effect, macros
from effects._common import (
    assert_matrix_ran,
    cache_keys,
    imports,
    job_dir,
    log_of,
)


@effect("snippets/projects/locked-test.yml")
def locked_env_ran_both_tests(run):
    log = log_of(run, "test")
    assert "test_greet" in log and "test_shout" in log, "unittest --verbose did not list both tests"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"


@effect("snippets/projects/matrix.yml")
def one_job_and_one_cache_per_python(run):
    versions = ("3.11", "3.12", "3.13")
    assert_matrix_ran(run, versions)
    keys = cache_keys(run)
    for v in versions:
        prefix = f"uv-{macros().UV_VERSION}-python{v}-"
        assert any(k.startswith(prefix) for k in keys), f"no cache for Python {v} (keys: {sorted(keys)})"


@effect("snippets/projects/non-root.yml")
def everything_uv_wrote_is_in_the_checkout(run):
    directory = job_dir(run, "test")
    assert (directory / ".uv-cache").is_dir(), "the cache is not in the project directory"
    assert "Ran 2 tests" in log_of(run, "test")

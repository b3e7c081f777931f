"""Effects of the pipelines on docs/projects.md (the matrix is shown on docs/caching.md too)."""

from __future__ import annotations

from effects import effect, macros
from effects._common import cache_keys, imports, job_dir, log_of


@effect("snippets/projects/locked-test.yml")
def locked_env_ran_both_tests(run):
    log = log_of(run, "test")
    assert "test_greet" in log and "test_shout" in log, "unittest --verbose did not list both tests"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"


def venv_python_version(run, job: str) -> str:
    """`major.minor` of the Python in the .venv job `job` made (run in the sandbox)."""
    python = job_dir(run, job) / ".venv/bin/python"
    result = run.sandbox.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    assert result.returncode == 0, f"{job}: {python} does not run: {result.stderr.strip()}"
    return result.stdout.strip()


@effect("snippets/projects/matrix.yml")
def one_job_and_one_cache_per_python(run):
    versions = ("3.11", "3.12", "3.13")
    for v in versions:
        name = f"test: [{v}]"
        assert "Ran 2 tests" in log_of(run, name), f"{name} did not run the tests"
        assert venv_python_version(run, name) == v, f"{name} tested on another Python than {v}"
    keys = cache_keys(run)
    for v in versions:
        prefix = f"uv-{macros().UV_VERSION}-python{v}-"
        assert any(k.startswith(prefix) for k in keys), f"no cache for Python {v} (keys: {sorted(keys)})"


@effect("snippets/projects/non-root.yml")
def everything_uv_wrote_is_in_the_checkout(run):
    directory = job_dir(run, "test")
    assert (directory / ".uv-cache").is_dir(), "the cache is not in the project directory"
    assert "Ran 2 tests" in log_of(run, "test")

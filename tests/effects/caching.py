"""Effects of the pipelines on docs/caching.md."""

from __future__ import annotations

from pathlib import Path

from effects import effect
from effects._common import cache_keys, imports, log_of, sandbox_python
from harness.uv_under_test import current


def _edited(key_file: str, prepare=None):
    """A `prepare` step that runs `prepare`, then changes `key_file` without changing what it means:
    a comment line, valid in uv.lock (TOML) and in a requirements file."""

    def edit(workdir: Path, registry) -> None:
        if prepare:
            prepare(workdir, registry)
        path = workdir / key_file
        assert path.is_file(), f"the project has no {key_file} to change"
        path.write_text(path.read_text() + "\n# changed, to prove the cache key follows this file\n")

    return edit


def assert_key_follows(run, key_file: str, prepare=None) -> None:
    """The page's claim about `cache:key:files`: the same `key_file` finds the same cache, a changed one
    starts afresh. The pipeline that ran is run twice more in the same sandbox, once with `key_file`
    changed and once unchanged. A key naming a file the project lacks (`uv.lok`) fails the first part:
    the key then stays the same whatever the lockfile holds."""
    from harness.runner import run_pipeline

    first = cache_keys(run)
    assert first, "GitLab saved no cache"
    pipeline = run.sandbox.root / "cache-key-check.gitlab-ci.yml"
    pipeline.write_text(run.text)
    changed = run_pipeline(pipeline, run.sandbox, run.registry, prepare=_edited(key_file, prepare))
    assert changed.ok, f"the run with a changed {key_file} failed:\n{changed.failure()}"
    same = run_pipeline(pipeline, run.sandbox, run.registry, prepare=prepare)
    assert same.ok, f"the run with the same {key_file} failed:\n{same.failure()}"
    assert cache_keys(changed) and not cache_keys(changed) & first, (
        f"a changed {key_file} kept the cache key {sorted(cache_keys(changed))}: does cache:key:files name it?"
    )
    assert cache_keys(same) == first, (
        f"the same {key_file} gave another key: {sorted(cache_keys(same))} != {sorted(first)}"
    )


@effect("snippets/caching/lockfile-key.yml")
def one_cache_keyed_on_uv_version_and_lockfile(run):
    prefix = f"uv-{current().pinned}-"
    keys = cache_keys(run)
    assert any(k.startswith(prefix) for k in keys), f"no cache key starts with {prefix}: {sorted(keys)}"
    assert all((c / ".uv-cache").is_dir() for c in run.cache_dirs()), "a saved cache lacks .uv-cache"
    assert "Pruning cache at: .uv-cache" in log_of(run, "test")
    assert_key_follows(run, "uv.lock")


def _requirements(workdir, registry):
    # A project without a lockfile: its requirements file names the workspace library by path.
    (workdir / "requirements.txt").write_text("./packages/sample-lib\n")


@effect("snippets/caching/requirements-key.yml", prepare=_requirements)
def installs_from_requirements_and_caches(run):
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the system Python"
    assert run.cache_dirs(), "GitLab saved no cache"
    assert "Pruning cache at: .uv-cache" in log_of(run, "install")
    assert_key_follows(run, "requirements.txt", _requirements)

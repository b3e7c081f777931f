"""Effects of the pipelines on docs/caching.md."""

from __future__ import annotations

from effects import effect, macros
from effects._common import cache_keys, imports, log_of, sandbox_python


@effect("snippets/caching/lockfile-key.yml")
def one_cache_keyed_on_uv_version_and_lockfile(run):
    prefix = f"uv-{macros().UV_VERSION}-"
    keys = cache_keys(run)
    assert any(k.startswith(prefix) for k in keys), f"no cache key starts with {prefix}: {sorted(keys)}"
    assert all((c / ".uv-cache").is_dir() for c in run.cache_dirs()), "a saved cache lacks .uv-cache"
    assert "Pruning cache at: .uv-cache" in log_of(run, "test")


def _requirements(workdir, registry):
    # A project without a lockfile: its requirements file names the workspace library by path.
    (workdir / "requirements.txt").write_text("./packages/sample-lib\n")


@effect("snippets/caching/requirements-key.yml", prepare=_requirements)
def installs_from_requirements_and_caches(run):
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the system Python"
    assert run.cache_dirs(), "GitLab saved no cache"
    assert "Pruning cache at: .uv-cache" in log_of(run, "install")

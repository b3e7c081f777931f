"""T13. The cache directory is inside the build source directory."""

from __future__ import annotations

import shutil
import tarfile

from effects import effect
from effects._common import job_dir, log_of
from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_pipeline import SAMPLE_FILES
from troubleshooting._in_sandbox import project
from troubleshooting._reproducer import absent, ok, reproduces


@reproduces("T13")
def test_cache_inside_build_source(entry, sandbox, request):
    proj = project(sandbox)
    pipeline = {"UV_CACHE_DIR": ".uv-cache"}  # what the guide's caching example sets for every job
    out = ok(entry.where, sh(sandbox, "uv build", cwd=proj, env=pipeline))
    block = entry.block("cache directory")
    entry.shows(block, out)
    fix = job(entry.fix("build-without-cache.yml"), {})
    shutil.rmtree(proj / "dist")
    absent(block, ok(fix.where, run_job(sandbox, fix, cwd=proj, env=pipeline)))
    # The page says uv's build backend packs only modules and metadata: no cache in the sdist.
    (sdist,) = (proj / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        cached = [m.name for m in tar.getmembers() if ".uv-cache" in m.name]
    assert not cached, f"{block.where()}: the sdist contains the cache: {cached[:3]}"


PIPELINE_CACHE = """
variables:
  UV_CACHE_DIR: .uv-cache
"""


@effect("snippets/troubleshooting/build-without-cache.yml", host=PIPELINE_CACHE)
def builds_without_the_warning_or_the_cache(run):
    assert "inside the build source directory" not in log_of(run, "build"), "uv build still warns"
    assert not (job_dir(run, "build") / ".uv-cache").exists(), "the build job made a cache"
    artifacts = run.jobs["build"].artifacts
    assert artifacts is not None, "the build job kept no artifacts"
    assert sorted(p.name for p in (artifacts / "dist").glob("sample-*")) == SAMPLE_FILES
    with tarfile.open(artifacts / "dist" / "sample-0.1.0.tar.gz") as sdist:
        assert not [m for m in sdist.getnames() if ".uv-cache" in m], "the sdist holds the cache"

"""T18. A virtual environment already exists."""

from __future__ import annotations

from effects import effect
from effects._common import job_dir
from harness.fix_jobs import job, run_job, sh

from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T18")
def test_virtual_environment_exists(entry, sandbox, request):
    work = sandbox.root / "work"
    entry.shows(
        entry.block("already exists"), failed(entry.where, sh(sandbox, "uv venv -q && uv venv", cwd=work))
    )
    fix = job(entry.fix("venv-clear.yml"), {})
    ok(fix.where, run_job(sandbox, fix, cwd=work, env={}))


# An earlier job leaves a .venv that comes back with the cache.
CACHED_VENV = """
default:
  cache:
    key: venv
    paths:
      - .venv

leave-venv:
  stage: .pre
  script:
    - uv venv
    - touch .venv/left-by-an-earlier-job
"""


@effect("snippets/troubleshooting/venv-clear.yml", host=CACHED_VENV)
def the_cached_venv_is_replaced(run):
    assert "test imported cache 'venv'" in run.log, "the test job did not get the earlier .venv"
    venv = job_dir(run, "test") / ".venv"
    assert (venv / "pyvenv.cfg").is_file(), "no new .venv"
    assert not (venv / "left-by-an-earlier-job").exists(), "the earlier .venv was kept, not replaced"

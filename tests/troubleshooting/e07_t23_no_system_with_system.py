"""T23. `--no-system` cannot be used with `--system` (UV_SYSTEM_PYTHON)."""

from __future__ import annotations

from effects import effect
from effects._common import imports, job_dir, sandbox_python
from harness.fix_jobs import job, run_job, sh

from troubleshooting._in_pipeline import requirements
from troubleshooting._in_sandbox import SAMPLE_PROJECT, copy_project
from troubleshooting._reproducer import failed, ok, reproduces

# What the job installs: the sample workspace's library, from its directory.
REQUIREMENT = "./packages/sample-lib"


@reproduces("T23")
def test_no_system_against_the_system_variable(entry, sandbox, request):
    work = copy_project(SAMPLE_PROJECT, sandbox.root / "work" / "project")
    requirements(work, REQUIREMENT)
    command = "uv pip install --no-system -r requirements.txt"
    entry.shows(
        entry.block("--no-system"),
        failed(entry.where, sh(sandbox, command, cwd=work, env={"UV_SYSTEM_PYTHON": "1"})),
    )
    fix = job(entry.fix("system-python-opt-out.yml"), {})
    ok(fix.where, run_job(sandbox, fix, cwd=work, env={}))
    installed = sh(sandbox, "uv pip list --python .venv", cwd=work).stdout
    assert "sample-lib" in installed, f"{fix.where}: the requirements are not in .venv:\n{installed}"


def _requirements(workdir, registry):
    requirements(workdir, REQUIREMENT)


@effect("snippets/troubleshooting/system-python-opt-out.yml", prepare=_requirements)
def the_job_installs_into_its_venv_only(run):
    venv_python = job_dir(run, "install-venv") / ".venv/bin/python"
    assert imports(run, venv_python, "sample_lib"), "sample-lib is not in the job's .venv"
    assert not imports(run, sandbox_python(run), "sample_lib"), "the job installed into the system Python"

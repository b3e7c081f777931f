"""Effects of the pipelines on docs/uv-pip.md."""

from __future__ import annotations

from effects import effect
from effects._common import imports, job_dir, log_of, sandbox_python, sandbox_root


@effect("snippets/uv-pip/opt-out.yml")
def system_job_and_venv_job_install_where_they_say(run):
    assert imports(run, sandbox_python(run), "sample"), "install-system did not install into the system Python"
    assert not (job_dir(run, "install-system") / ".venv").exists(), "install-system made a virtual environment"
    venv_python = job_dir(run, "install-venv") / ".venv/bin/python"
    assert imports(run, venv_python, "sample"), "install-venv did not install into .venv"
    # Both jobs install the same project: the venv job's own log says where it went.
    assert "environment at: .venv" in log_of(run, "install-venv"), "install-venv did not use .venv"
    for job in ("install-system", "install-venv"):
        assert "Ran 2 tests" in log_of(run, job), f"{job} did not run the tests"


def _externally_managed(workdir, registry):
    # Mark the sandbox's Python as a distribution's Python (PEP 668), and give the job its file.
    stdlib = next((sandbox_root(workdir) / "python" / "lib").glob("python3.*"))
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Use apt to install packages.\n")
    (workdir / "requirements.txt").write_text("./packages/sample-lib\n")


@effect("snippets/uv-pip/externally-managed.yml", prepare=_externally_managed)
def installs_into_an_externally_managed_python(run):
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the marked Python"
    skipped = [where for where, _ in run.not_runnable]
    assert len(skipped) == 1, f"expected only the apt-get line not to run, got {skipped}"

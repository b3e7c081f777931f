"""Effects of the pipelines on docs/uv-pip.md."""

from __future__ import annotations

from effects import effect
from effects._common import imports, job_dir, sandbox_python, sandbox_root


@effect("snippets/uv-pip/opt-out.yml")
def system_job_and_venv_job_install_where_they_say(run):
    system = sandbox_python(run)
    assert imports(run, system, "sample_lib"), "install-system did not install into the system Python"
    assert not imports(run, system, "sample"), "install-venv installed into the system Python"
    venv_python = job_dir(run, "install-venv") / ".venv/bin/python"
    assert imports(run, venv_python, "sample"), "install-venv did not install into .venv"


def _externally_managed(workdir, registry):
    # Mark the sandbox's Python as a distribution's Python (PEP 668), and give the job its file.
    stdlib = next((sandbox_root(workdir) / "python" / "lib").glob("python3.*"))
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Use apt to install packages.\n")
    (workdir / "requirements.txt").write_text("./packages/sample-lib\n")


@effect("snippets/uv-pip/externally-managed.yml", prepare=_externally_managed)
def installs_into_an_externally_managed_python(run):
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the marked Python"

"""T10. No virtual environment found, or the Python is externally managed."""

from __future__ import annotations

from effects import effect
from effects._common import imports, sandbox_python, sandbox_root
from harness.fix_jobs import job, sh

from troubleshooting._in_sandbox import built
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T10")
def test_no_virtual_environment(entry, sandbox, request):
    proj, _ = built(sandbox)
    entry.shows(
        entry.block("No virtual environment"),
        failed(entry.where, sh(sandbox, "uv pip install dist/*.whl", cwd=proj)),
    )
    system = job(entry.fix("system-python.yml"), {})
    install = "uv pip install dist/*.whl && python3 -c 'import my_package'"
    ok(system.where, sh(sandbox, install, cwd=proj, env=system.variables))
    # A distribution's Python carries a marker (PEP 668); a new file in the sandbox's own copy.
    stdlib = next((sandbox.root / "python" / "lib").glob("python3*"))
    (stdlib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=To install Python packages system-wide, try apt install\n"
        " python3-xyz, where xyz is the package you are trying to install.\n"
    )
    reinstall = "uv pip install --reinstall dist/*.whl"
    out = failed(entry.where, sh(sandbox, reinstall, cwd=proj, env=system.variables))
    entry.shows(entry.block("externally managed"), out)
    entry.shows(entry.block("not considered"), out)
    override = job(entry.fix("break-system-packages.yml"), {})
    ok(override.where, sh(sandbox, reinstall, cwd=proj, env=override.variables))


INSTALL_LIB = """
install:
  script:
    - uv pip install ./packages/sample-lib
"""


@effect("snippets/troubleshooting/system-python.yml", host=INSTALL_LIB)
def uv_pip_installs_into_the_system_python(run):
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the system Python"


def _externally_managed(workdir, registry):
    # The sandbox's Python becomes a distribution's Python (PEP 668 marker).
    stdlib = next((sandbox_root(workdir) / "python" / "lib").glob("python3.*"))
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Use apt to install packages.\n")


@effect("snippets/troubleshooting/break-system-packages.yml", host=INSTALL_LIB, prepare=_externally_managed)
def installs_over_the_marker(run):
    stdlib = next((run.sandbox.root / "python" / "lib").glob("python3.*"))
    assert (stdlib / "EXTERNALLY-MANAGED").is_file(), "the marker is gone: the job did not face it"
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the marked Python"

"""T14. invalid peer certificate: UnknownIssuer (a private certificate authority)."""

from __future__ import annotations

import shutil
from pathlib import Path

from effects import effect
from effects._common import imports, job_dir, make_wheel
from harness.file_server import simple_index, static_handler
from harness.fix_jobs import job, run_job, sh
from harness.tls import https_server, make_tls, serve_in_background, stop_background_servers

from troubleshooting._in_pipeline import depend_on_my_package
from troubleshooting._in_sandbox import built, ci, consumer
from troubleshooting._reproducer import Marked, failed, need, ok, reproduces

SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")


def _gitlab_index(index: str) -> str:
    """pyproject TOML that installs my-package from `index`, a project's registry."""
    return (
        f'[[tool.uv.index]]\nname = "gitlab"\nurl = "{index}"\nexplicit = true\n\n'
        '[tool.uv.sources]\nmy-package = { index = "gitlab" }\n'
    )


@reproduces("T14")
def test_private_certificate_authority(entry, sandbox, request):
    need("openssl")
    tmp = request.getfixturevalue("tmp_path")
    tls = make_tls(tmp / "tls")
    _, dists = built(sandbox)
    simple_index(tmp / "www", "api/v4/projects/42/packages/pypi", dists)
    with https_server(static_handler(tmp / "www"), tls) as port:
        index = f"https://127.0.0.1:{port}/api/v4/projects/42/packages/pypi/simple"
        install = f"uv venv -q --clear && uv pip install --default-index {index} my-package"
        entry.shows(entry.block("UnknownIssuer"), failed(entry.where, sh(sandbox, install)))
        missing = {"SSL_CERT_FILE": str(sandbox.root / "no-such-bundle.pem")}
        entry.shows(
            entry.block("Path does not exist"), failed(entry.where, sh(sandbox, install, env=missing))
        )
        if not SYSTEM_ROOTS.is_file():
            raise Marked(f"the fix reads the public roots from {SYSTEM_ROOTS}, which this machine lacks")
        app = consumer(sandbox, _gitlab_index(index))
        # The developer's lock, committed.
        ok(entry.where, sh(sandbox, "uv lock", cwd=app, env={"SSL_CERT_FILE": str(tls.ca)}))
        shown = entry.fix("ca-bundle.yml")
        fresh = {"UV_CACHE_DIR": str(sandbox.root / "job-cache")}  # nothing cached: the job must fetch
        # A runner without tls-ca-file hands over no CA: the job stops and says why.
        no_ca = job(shown, ci(CI_PROJECT_DIR=str(app), CI_SERVER_TLS_CA_FILE=""))
        out = failed(no_ca.where, run_job(sandbox, no_ca, cwd=app, env=fresh))
        assert "the runner has no tls-ca-file" in out, f"{no_ca.where}: the job failed otherwise:\n{out}"
        fix = job(shown, ci(CI_PROJECT_DIR=str(app), CI_SERVER_TLS_CA_FILE=str(tls.ca)))
        ok(fix.where, run_job(sandbox, fix, cwd=app, env=fresh))


def _private_ca_index(workdir, registry):
    """my-package on an HTTPS index whose certificate a private CA signed; the sample depends on it."""
    tls = make_tls(workdir.parent / "ca-tls", "GitLab CA")
    wheel = make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 1\n")
    simple_index(workdir.parent / "www", "api/v4/projects/42/packages/pypi", [wheel])
    port = serve_in_background(static_handler(workdir.parent / "www"), tls)
    index = f"https://127.0.0.1:{port}/api/v4/projects/42/packages/pypi/simple"
    depend_on_my_package(workdir, _gitlab_index(index), env={"SSL_CERT_FILE": str(tls.ca)})
    shutil.copy2(tls.ca, workdir / "gitlab-ca.pem")  # what the runner hands over in CI_SERVER_TLS_CA_FILE


@effect(
    "snippets/troubleshooting/ca-bundle.yml",
    variables={"CI_SERVER_TLS_CA_FILE": "gitlab-ca.pem"},
    prepare=_private_ca_index,
)
def installs_from_the_private_ca_host_and_keeps_public_roots(run):
    stop_background_servers()
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "my_package"), "my-package is not in .venv"
    bundle = (directory / ".ca-bundle.pem").read_text()
    assert bundle.startswith(SYSTEM_ROOTS.read_text()), "the bundle lacks the public roots"

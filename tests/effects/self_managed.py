"""Effects of the pipelines on docs/self-managed.md."""

from __future__ import annotations

import subprocess

from effects import effect
from effects._common import job_dir, log_of

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _gitlab_ca(workdir, registry):
    """A throwaway CA certificate standing in for the one the runner writes to CI_SERVER_TLS_CA_FILE."""
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Test GitLab CA",
         "-keyout", str(workdir.parent / "gitlab-ca.key"), "-out", str(workdir / "gitlab-ca.pem")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"openssl could not make a test CA: {result.stderr}"


@effect(
    "snippets/self-managed/ca-bundle.yml",
    variables={"CI_SERVER_TLS_CA_FILE": "gitlab-ca.pem"},
    prepare=_gitlab_ca,
)
def the_bundle_holds_public_roots_and_the_gitlab_ca(run):
    directory = job_dir(run, "test")
    bundle = (directory / ".ca-bundle.pem").read_text()
    gitlab_ca = (directory / "gitlab-ca.pem").read_text()
    with open(SYSTEM_BUNDLE) as system:
        roots = system.read()
    assert bundle == roots + gitlab_ca, "the bundle is not the image's roots followed by GitLab's CA"
    assert "Ran 2 tests" in log_of(run, "test")

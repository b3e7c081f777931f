"""Effects of the pipelines on docs/self-managed.md."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.gitlab import load

from effects import effect
from effects._common import imports, job_dir, log_of

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Where the page's job copies the corporate CA inside its image.
IMAGE_STORE_CA = Path("/usr/local/share/ca-certificates/corporate-ca.crt")


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
    # On a runner without tls-ca-file the variable is unset: the job leaves uv's roots alone.
    config = load(run.text)
    before = "\n".join(config["test"]["before_script"])
    script = f'set -e\n{before}\necho "SSL_CERT_FILE=${{SSL_CERT_FILE-unset}}"'
    scratch = run.sandbox.root / "no-tls-ca-file"
    scratch.mkdir()
    env = {k: v for k, v in run.variables.items() if k != "CI_SERVER_TLS_CA_FILE"}
    bare = run.sandbox.run(script, cwd=scratch, env={**env, "CI_PROJECT_DIR": str(scratch)})
    assert bare.returncode == 0, f"without CI_SERVER_TLS_CA_FILE, before_script fails:\n{bare.stderr}"
    assert "SSL_CERT_FILE=unset" in bare.stdout and not (scratch / ".ca-bundle.pem").exists(), (
        "without CI_SERVER_TLS_CA_FILE, before_script still made a bundle"
    )


@effect("snippets/self-managed/system-certs.yml")
def syncs_and_tests_with_system_certs_and_the_store_untouched(run):
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "sample"), "uv sync left no .venv with the project"
    assert "Ran 2 tests" in log_of(run, "test"), "unittest did not run the sample's two tests"
    # The two lines that write the image's store are the only ones that did not run; on this
    # machine they would have written its own store.
    skipped = [where for where, _ in run.not_runnable]
    assert len(skipped) == 2, f"expected the cp and update-ca-certificates lines not to run, got {skipped}"
    assert not IMAGE_STORE_CA.exists(), f"{IMAGE_STORE_CA} exists: the machine's store was written"

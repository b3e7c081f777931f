"""T15. Trusted publishing to PyPI fails (no ID token, or one PyPI does not accept)."""

from __future__ import annotations

from harness.fake_pypi import FakePyPI, gitlab_claims, id_token, pypi_handler
from harness.fix_jobs import job, run_job, sh
from harness.tls import https_server, make_tls

from troubleshooting._in_sandbox import built, ci
from troubleshooting._reproducer import failed, need, ok, reproduces

# The project path the job runs in (what PyPI's publisher names).
PROJECT_PATH = "group/demo"


@reproduces("T15")
def test_trusted_publishing(entry, sandbox, request):
    need("openssl")
    tmp = request.getfixturevalue("tmp_path")
    tls = make_tls(tmp / "tls")
    proj, dists = built(sandbox)
    fix = job(entry.fix("trusted-publishing.yml"), ci())
    environment = fix.raw.get("environment")
    environment = environment.get("name") if isinstance(environment, dict) else environment
    # "PyPI" knows a publisher for this project that requires the job's environment.
    state = FakePyPI(audience="pypi", publisher={"project_path": PROJECT_PATH, "environment": environment})
    with https_server(pypi_handler(state), tls) as port:
        env = {**ci(), "SSL_CERT_FILE": str(tls.ca), "UV_PUBLISH_URL": f"https://127.0.0.1:{port}/legacy/"}
        publish = "uv publish --trusted-publishing always"
        entry.shows(
            entry.block("ID token variable not found"),
            failed(entry.where, sh(sandbox, publish, cwd=proj, env=env)),
        )
        no_environment = id_token(gitlab_claims(PROJECT_PATH, aud="pypi"))
        out = failed(
            entry.where, sh(sandbox, publish, cwd=proj, env={**env, "PYPI_ID_TOKEN": no_environment})
        )
        entry.shows(entry.block("correctly configured"), out)
        # GitLab creates one variable per `id_tokens` entry, holding a token for its audience.
        tokens = {
            name: id_token(gitlab_claims(PROJECT_PATH, aud=spec["aud"], environment=environment))
            for name, spec in (fix.raw.get("id_tokens") or {}).items()
        }
        ok(fix.where, run_job(sandbox, fix, cwd=proj, env={**env, **tokens}))
    assert sorted(state.uploads) == [d.name for d in dists], state.uploads

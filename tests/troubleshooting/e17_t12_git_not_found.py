"""T12. Failed to download and build a package from Git: Git executable not found."""

from __future__ import annotations

import shutil
from pathlib import Path

from effects import effect, macros
from effects._common import imports, job_dir, sandbox_root
from harness.file_server import git_repository, static_handler
from harness.fix_jobs import job, run_job, sh
from harness.tls import https_server, make_tls, serve_in_background, stop_background_servers
from harness.uv_under_test import current

from troubleshooting._in_pipeline import depend_on_my_package
from troubleshooting._in_sandbox import MY_PACKAGE, ci, consumer
from troubleshooting._reproducer import failed, need, ok, reproduces


@reproduces("T12")
def test_git_dependency(entry, sandbox, request):
    need("git", "openssl")
    tmp = request.getfixturevalue("tmp_path")
    tls = make_tls(tmp / "tls")
    token = "job-token-for-git"
    git_repository(MY_PACKAGE, tmp / "git", "group/my-package.git")
    with https_server(static_handler(tmp / "git", user="gitlab-ci-token", password=token), tls) as port:
        host = f"127.0.0.1:{port}"
        app = consumer(sandbox, dependency=f"my-package @ git+ssh://git@{host}/group/my-package.git")
        shell_only = sandbox.root / "no-git"  # a PATH with bash, uv and Python, but no git
        shell_only.mkdir()
        (shell_only / "bash").symlink_to(shutil.which("bash"))
        no_git = {"PATH": f"{shell_only}:{sandbox.root / 'bin'}:{sandbox.root / 'python' / 'bin'}"}
        entry.shows(
            entry.block("Git executable not found"),
            failed(entry.where, sh(sandbox, "uv lock", cwd=app, env=no_git)),
        )
        fix = job(entry.fix("git-over-https.yml"), ci(CI_SERVER_HOST=host, CI_JOB_TOKEN=token))
        env = {**fix.variables, "GIT_SSL_CAINFO": str(tls.ca), "GIT_TERMINAL_PROMPT": "0"}
        ok(entry.where, sh(sandbox, "uv lock", cwd=app, env=env))  # the developer's lock, committed
        ok(fix.where, run_job(sandbox, fix, cwd=app, env=env))
        ok(entry.where, sh(sandbox, "uv run python -c 'import my_package'", cwd=app))
    assert token not in (app / "uv.lock").read_text(), "the job token ended up in uv.lock"
    tag = fix.image.rsplit(":", 1)[1].removeprefix(current().pinned + "-")
    base = [b for b, info in macros().DERIVED_IMAGES.items() if tag in info["tags"]]
    assert base and macros().DERIVED_IMAGES[base[0]]["git"], f"{fix.image} has no git"


def git_server(workdir, registry):
    """my-package in a Git repository of this GitLab, served over HTTPS to the job token only; the
    sample depends on it by its ssh:// URL. The rewritten URL has no port: the server needs 443."""
    tls = make_tls(workdir.parent / "git-tls", "GitLab CA")
    git_repository(MY_PACKAGE, workdir.parent / "git", "group/my-package.git")
    user, token = registry.job_token_user, registry.job_token
    try:
        serve_in_background(static_handler(workdir.parent / "git", user=user, password=token), tls, port=443)
    except OSError as exc:
        raise AssertionError(f"cannot serve Git on 127.0.0.1:443, the port the rewritten URL uses: {exc}")
    # The job's machine trusts its GitLab's CA (as with the runner's tls-ca-file).
    (sandbox_root(workdir) / "home" / ".gitconfig").write_text(f"[http]\n\tsslCAInfo = {tls.ca}\n")
    developer = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.https://{user}:{token}@127.0.0.1/.insteadOf",
        "GIT_CONFIG_VALUE_0": "ssh://git@127.0.0.1/",
        "GIT_SSL_CAINFO": str(tls.ca),
        "GIT_TERMINAL_PROMPT": "0",
    }
    requirement = "my-package @ git+ssh://git@127.0.0.1/group/my-package.git"
    depend_on_my_package(workdir, requirement=requirement, env=developer)


@effect("snippets/troubleshooting/git-over-https.yml", prepare=git_server)
def the_git_dependency_came_over_https(run):
    stop_background_servers()
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "my_package"), "my-package is not in .venv"
    token = run.registry.job_token.encode()
    places = [directory, Path(run.sandbox.env["UV_CACHE_DIR"])]
    written = [p for d in places for p in d.rglob("*") if p.is_file() and token in p.read_bytes()]
    assert not written, f"the job token was written to {written}"

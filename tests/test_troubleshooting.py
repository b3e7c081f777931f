"""Every quoted message of docs/troubleshooting.md, reproduced with the pinned uv, and every fix applied.

One test per entry (T1, T2, ...). Each builds the failing setup in a sandbox (and a local GitLab-style
registry where the problem is about one), runs uv, and compares the output with the quoted block as
the page shows it (harness/reproduce.py has the wildcard rules). Then it applies the fix the same
section shows, taken from the page too, and checks that the fix works. Entries whose trigger needs a
real GitLab server or a container runtime check what can run here and are then reported as marked,
with the reason, in the summary.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
from harness import gitlab
from harness.collect import ROOT
from harness.registry import start_registry
from harness.reproduce import (
    PAGE,
    FakePyPI,
    copy_project,
    entries,
    expand,
    git_repository,
    gitlab_claims,
    https_server,
    id_token,
    job,
    make_tls,
    mismatch,
    pypi_handler,
    run_job,
    sh,
    simple_index,
    static_handler,
)
from harness.sandbox import CLOSED_INDEX, UV, make_sandbox

sys.path.insert(0, str(ROOT / "docs"))
import macros

FIXTURE = Path(__file__).parent / "fixtures" / "troubleshooting" / "my-package"
SAMPLE_PROJECT = Path(__file__).parent / "fixtures" / "sample-project"
# The host the page's TOML examples name; tests put the local server's address in its place.
PAGE_HOST = "https://gitlab.example.com"
# The project path the trusted-publishing examples run in (what PyPI's publisher names).
PROJECT_PATH = "group/demo"
ENTRY_IDS = [f"T{n}" for n in range(1, 24)]
# Blocks marked reproduces="Tn" are checked here: their text is compared with uv's real output.
CLAIMED_MARKERS = ("reproduces",)

REPRODUCERS: dict[str, tuple] = {}


class Marked(Exception):
    """Raised by a reproducer after its partial checks: the rest needs what this machine lacks."""


def reproducer(tid: str, marked: str | None = None):
    """Register the function that reproduces entry `tid`; `marked`: why part of it cannot run here."""

    def register(func):
        REPRODUCERS[tid] = (func, marked)
        return func

    return register


def _ids() -> list[str]:
    found = set(ENTRY_IDS) | set(entries()) | set(REPRODUCERS)
    return sorted(found, key=lambda t: (int(re.sub(r"\D", "", t) or 0), t))


# --- helpers -----------------------------------------------------------------------------------


def ok(where: str, result) -> str:
    """The output of a run that must succeed; `where`: the file:line the run stands for."""
    assert result.returncode == 0, f"{where}: exit status {result.returncode}:\n{result.stdout}"
    return result.stdout


def failed(where: str, result) -> str:
    """The output of a run that must fail."""
    assert result.returncode != 0, f"{where}: expected a failure, got exit status 0:\n{result.stdout}"
    return result.stdout


def absent(block, output: str) -> None:
    """The quoted message is gone after the fix."""
    assert mismatch(block, output) is not None, f"{block.where()}: still printed after the fix:\n{output}"


def project(sandbox, name: str = "my-package") -> Path:
    return copy_project(FIXTURE, sandbox.root / "work" / name)


def built(sandbox) -> tuple[Path, list[Path]]:
    """The sample package, built (uv's own backend builds offline)."""
    proj = project(sandbox)
    ok(f"{FIXTURE.relative_to(ROOT)}/pyproject.toml:1", sh(sandbox, "uv build -q", cwd=proj))
    return proj, sorted(p for p in (proj / "dist").iterdir() if p.name.endswith((".whl", ".tar.gz")))


def consumer(sandbox, toml: str = "", name: str = "app", dependency: str = "my-package") -> Path:
    """A virtual project that depends on `dependency`, with extra pyproject TOML appended."""
    app = sandbox.root / "work" / name
    app.mkdir(parents=True)
    (app / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{dependency}"]\n\n{toml}'
    )
    return app


def page_toml(example, url: str) -> str:
    """A TOML example of the page, pointed at the local server instead of gitlab.example.com."""
    assert PAGE_HOST in example.source, f"{example.where()}: expected the example host {PAGE_HOST}"
    return example.source.replace(PAGE_HOST, url)


def ci(registry=None, **extra) -> dict[str, str]:
    """Predefined CI/CD variables of a job in project 42 (GitLab sets GITLAB_CI in every job)."""
    env = {"CI": "true", "GITLAB_CI": "true"}
    if registry is not None:
        env.update(
            CI_API_V4_URL=registry.api_v4,
            CI_PROJECT_ID=registry.project_id,
            CI_JOB_TOKEN=registry.job_token,
            CI_SERVER_HOST=registry.host,
        )
    return {**env, **extra}


def need(*tools: str) -> None:
    """Mark the entry when a command its setup uses is not on this machine."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise Marked(f"needs {', '.join(missing)} on this machine")


def image_of(j) -> str:
    value = j.raw.get("image")
    value = value.get("name") if isinstance(value, dict) else value
    assert isinstance(value, str), f"job {j.name} has no image"
    return expand(value, j.variables)


def fresh_sandbox(request, name: str):
    """Another sandbox in the same test: a later job on a new container."""
    return make_sandbox(
        request.getfixturevalue("tmp_path") / name, request.getfixturevalue("python_templates")
    )


# --- the test ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tid", _ids())
def test_troubleshooting(tid, request, sandbox, record_property):
    record_property("check", "troubleshooting")
    entry = entries().get(tid)
    registered = REPRODUCERS.get(tid)
    if entry is not None:
        record_property("example", str(entry.blocks[0]))
    if registered is None:
        where = entry.where if entry else f"{PAGE}:1"
        pytest.fail(f"{where}: no reproducer for {tid} in tests/test_troubleshooting.py")
    func, marked = registered
    if entry is None:
        line = inspect.getsourcelines(func)[1]
        pytest.fail(
            f'{PAGE}:1: no quoted block is marked reproduces="{tid}" (reproducer at '
            f"tests/test_troubleshooting.py:{line})"
        )
    try:
        func(entry, sandbox, request)
    except Marked as why:
        record_property("troubleshooting", f"marked: {why}")
        pytest.skip(f"{tid} marked: {why}")
    if marked:
        record_property("troubleshooting", f"marked: {marked}")
        pytest.skip(f"{tid} marked: {marked}")
    entry.all_shown()
    record_property("troubleshooting", "reproduced")


# --- images and uv itself ------------------------------------------------------------------------


@reproducer("T2", marked="pulling an image needs a container registry; the tag rule is checked")
def image_tag_does_not_exist(entry, sandbox, request):
    block = entry.block("manifest unknown")
    ref = re.search(r'"([^"\s]+)"', block.source)
    assert ref, f"{block.where()}: no quoted image reference"
    assert gitlab.image_problem(ref[1]), f"{block.where()}: the checker's image rule accepts {ref[1]}"
    fix = job(entry.fix("existing-image-tag.yml"), {})
    image = image_of(fix)
    assert gitlab.image_problem(image) is None, gitlab.image_problem(image)


@reproducer("T3", marked="the job container needs a Docker or Kubernetes executor; uv's reply is reproduced")
def distroless_image_has_no_shell(entry, sandbox, request):
    # The Docker executor hands the image its shell command; the entrypoint /uv receives it.
    out = failed(entry.where, sh(sandbox, "uv sh -c 'echo job script'"))
    entry.shows(entry.block("unrecognized subcommand"), out)
    image = image_of(job(entry.fix("derived-image.yml"), {}))
    assert gitlab.image_problem(image) is None, gitlab.image_problem(image)
    tag = image.rsplit(":", 1)[1]
    assert not re.fullmatch(r"latest|\d+\.\d+(\.\d+)?", tag), f"{image} is a distroless tag"


@reproducer("T1")
def hardlink_across_file_systems(entry, sandbox, request):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == sandbox.root.stat().st_dev:
        raise Marked("needs a second file system (/dev/shm) for uv's cache")
    cache = Path(tempfile.mkdtemp(prefix="uv-checker-cache-", dir=shm))
    request.addfinalizer(lambda: shutil.rmtree(cache, ignore_errors=True))
    proj, _ = built(sandbox)
    install = "uv venv -q --clear .venv && uv pip install dist/*.whl"
    out = ok(entry.where, sh(sandbox, install, cwd=proj, env={"UV_CACHE_DIR": str(cache)}))
    block = entry.block("hardlink")
    entry.shows(block, out)
    fix = job(entry.fix("link-mode-copy.yml"), {})
    out = ok(fix.where, sh(sandbox, install, cwd=proj, env={"UV_CACHE_DIR": str(cache), **fix.variables}))
    absent(block, out)


@reproducer("T19")
def self_update_in_image(entry, sandbox, request):
    entry.shows(entry.block("Self-update"), failed(entry.where, sh(sandbox, "uv self update")))
    fix = job(entry.fix("pin-uv-by-image.yml"), {})
    assert gitlab.image_problem(image_of(fix)) is None, gitlab.image_problem(image_of(fix))
    out = ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))
    assert out.split()[:2] == ["uv", fix.variables["UV_VERSION"]], f"the job ran another uv: {out}"


@reproducer("T20")
def uv_version_without_project(entry, sandbox, request):
    entry.shows(entry.block("pyproject.toml"), failed(entry.where, sh(sandbox, "uv version")))
    fix = job(entry.fix("print-uv-version.yml"), {})
    out = ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))
    assert out.split()[:2] == ["uv", macros.UV_VERSION], out


# --- environments --------------------------------------------------------------------------------


@reproducer("T10")
def no_virtual_environment(entry, sandbox, request):
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
    out = failed(
        entry.where, sh(sandbox, "uv pip install --reinstall dist/*.whl", cwd=proj, env=system.variables)
    )
    entry.shows(entry.block("externally managed"), out)
    entry.shows(entry.block("not considered"), out)
    override = job(entry.fix("break-system-packages.yml"), {})
    ok(override.where, sh(sandbox, "uv pip install --reinstall dist/*.whl", cwd=proj, env=override.variables))


@reproducer("T23")
def no_system_against_the_system_variable(entry, sandbox, request):
    work = copy_project(SAMPLE_PROJECT, sandbox.root / "work" / "project")
    command = "uv pip install --no-system --no-deps ./packages/sample-lib"
    entry.shows(
        entry.block("--no-system"),
        failed(entry.where, sh(sandbox, command, cwd=work, env={"UV_SYSTEM_PYTHON": "1"})),
    )
    fix = job(entry.fix("system-python-opt-out.yml"), {})
    ok(fix.where, run_job(sandbox, fix, cwd=work, env={}))
    installed = sh(sandbox, "uv pip list --python .venv", cwd=work).stdout
    assert "sample-lib" in installed, f"{fix.where}: sample-lib is not in .venv:\n{installed}"


@reproducer("T18")
def virtual_environment_exists(entry, sandbox, request):
    work = sandbox.root / "work"
    entry.shows(
        entry.block("already exists"), failed(entry.where, sh(sandbox, "uv venv -q && uv venv", cwd=work))
    )
    fix = job(entry.fix("venv-clear.yml"), {})
    ok(fix.where, run_job(sandbox, fix, cwd=work, env={}))


@reproducer("T9")
def installs_do_not_travel_with_the_cache(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    _publish_to(registry, dists)
    app = sandbox.root / "work" / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("my-package\n")
    fix = job(entry.fix("install-in-every-job.yml"), ci(registry))
    index = {"UV_DEFAULT_INDEX": registry.authenticated(registry.index_url())}
    cache = {"UV_CACHE_DIR": fix.variables["UV_CACHE_DIR"]}
    # Job 1 installs; GitLab then saves the cache directory and throws the container away.
    ok(
        entry.where,
        sh(sandbox, "uv venv -q && uv pip install -r requirements.txt", cwd=app, env={**index, **cache}),
    )
    later = fresh_sandbox(request, "next-job")
    shutil.copytree(app, later.root / "work" / "app", ignore=shutil.ignore_patterns(".venv"))
    app = later.root / "work" / "app"
    out = failed(
        entry.where, sh(later, "uv venv -q && uv pip show my-package", cwd=app, env={**index, **cache})
    )
    entry.shows(entry.block("not found"), out)
    # The fixed job, in another new container with the same cache restored.
    fixed = fresh_sandbox(request, "fixed-job")
    shutil.copytree(app, fixed.root / "work" / "app", ignore=shutil.ignore_patterns(".venv"))
    before = len(registry.requests)
    ok(fix.where, run_job(fixed, fix, cwd=fixed.root / "work" / "app", env={**index, "UV_OFFLINE": "1"}))
    assert len(registry.requests) == before, "the fix downloaded again instead of using the cache"


def _nobody(script: str, cwd: Path, env: dict[str, str]):
    """Run as user 65534 when we are root (setpriv), else as ourselves: neither may write to /."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    argv = [*prefix, "bash", "-c", "exec 2>&1\n" + script]
    return subprocess.run(argv, cwd=cwd, env=env, text=True, capture_output=True, timeout=60, check=False)


@reproducer("T17")
def cache_not_writable(entry, sandbox, request):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        raise Marked("running as root without setpriv: cannot act as a user without a home")
    if os.geteuid() != 0 and os.access("/", os.W_OK):
        raise Marked("/ is writable for this user")
    # The sandbox lives in pytest's private temp dir, which user 65534 cannot enter: use a
    # world-readable temp dir of our own, removed afterwards.
    base = Path(tempfile.mkdtemp(prefix="uv-checker-uid-"))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    base.chmod(0o755)
    (base / "bin").mkdir()
    # A copy, not a link: the checkout holding the pinned uv may be closed to other users.
    shutil.copy2(UV, base / "bin" / "uv")
    proj = copy_project(FIXTURE, base / "project")
    (base / "tmp").mkdir()
    if os.geteuid() == 0:
        for path in [base / "tmp", proj, *proj.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    env = {
        "PATH": f"{base / 'bin'}:/usr/bin:/bin",
        "HOME": "/",
        "TMPDIR": str(base / "tmp"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_DEFAULT_INDEX": CLOSED_INDEX,
        "NO_COLOR": "1",
    }
    entry.shows(entry.block("Permission denied"), failed(entry.where, _nobody("uv build", proj, env)))
    fix = job(entry.fix("cache-in-project.yml"), {})
    ok(fix.where, _nobody("uv build", proj, {**env, **fix.variables}))
    assert list((proj / "dist").glob("*.whl")), f"{fix.where}: the build made no wheel"


@reproducer("T11")
def lockfile_out_of_date(entry, sandbox, request):
    need("git")
    proj = project(sandbox)
    ok(entry.where, sh(sandbox, "uv lock -q", cwd=proj))
    git = {
        "GIT_AUTHOR_NAME": "dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
    }
    ok(entry.where, sh(sandbox, "git init -q && git add . && git commit -qm initial", cwd=proj, env=git))
    # Someone bumps the version without locking again.
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    entry.shows(entry.block("--locked"), failed(entry.where, sh(sandbox, "uv sync --locked", cwd=proj)))
    fixes = entry.blocks_of("bash")
    assert fixes, f"{entry.where}: the section shows no bash block with the fix"
    ok(entry.where, sh(sandbox, "set -eo pipefail\n" + fixes[0].source, cwd=proj, env=git))
    ok(entry.where, sh(sandbox, "uv sync --locked", cwd=proj))


@reproducer("T13")
def cache_inside_build_source(entry, sandbox, request):
    proj = project(sandbox)
    pipeline = {"UV_CACHE_DIR": ".uv-cache"}  # what the guide's caching example sets for every job
    out = ok(entry.where, sh(sandbox, "uv build", cwd=proj, env=pipeline))
    block = entry.block("cache directory")
    entry.shows(block, out)
    fix = job(entry.fix("build-without-cache.yml"), {})
    shutil.rmtree(proj / "dist")
    absent(block, ok(fix.where, run_job(sandbox, fix, cwd=proj, env=pipeline)))
    # The page says uv's build backend packs only modules and metadata: no cache in the sdist.
    (sdist,) = (proj / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        cached = [m.name for m in tar.getmembers() if ".uv-cache" in m.name]
    assert not cached, f"{block.where()}: the sdist contains the cache: {cached[:3]}"


# --- indexes and credentials ---------------------------------------------------------------------


def _publish_to(registry, dists) -> None:
    """Store the files in project 42 as an earlier release job would have."""
    for dist in dists:
        registry.add_package(dist)


@reproducer("T5")
def private_index_without_credentials(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    _publish_to(registry, dists)
    out = failed(
        entry.where,
        sh(sandbox, f"uv venv -q && uv pip install --default-index {registry.index_url()} my-package"),
    )
    entry.shows(entry.block("lack of valid authentication"), out)
    app = consumer(sandbox, page_toml(entry.fix("gitlab-index.toml"), registry.url))
    entry.shows(entry.block("Missing credentials"), failed(entry.where, sh(sandbox, "uv lock", cwd=app)))
    credentials = job(entry.fix("index-credentials.yml"), ci(registry))
    use = "uv sync && uv run python -c 'import my_package'"
    ok(credentials.where, sh(sandbox, use, cwd=app, env=credentials.variables))


@reproducer("T6", marked="the job-token allowlist is a setting of a GitLab server")
def other_project_without_allowlist(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, _ = built(sandbox)
    other = registry.authenticated(registry.index_url(registry.other_project_id))
    out = failed(entry.where, sh(sandbox, f"uv venv -q && uv pip install --default-index {other} my-package"))
    entry.shows(entry.block("not found in the package registry"), out)
    publish = f"uv publish --publish-url {registry.upload_url(registry.other_project_id)}"
    out = failed(
        entry.where,
        sh(
            sandbox,
            publish,
            cwd=proj,
            env={"UV_PUBLISH_USERNAME": registry.job_token_user, "UV_PUBLISH_PASSWORD": registry.job_token},
        ),
    )
    entry.shows(entry.block("404 Project Not Found"), out)


@reproducer(
    "T16", marked="only uv < 0.5.26 printed this; the pinned uv's use of index credentials is checked"
)
def file_downloads_outside_simple(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    _publish_to(registry, dists)
    app = consumer(sandbox, page_toml(entries()["T5"].fix("gitlab-index.toml"), registry.url))
    credentials = job(entries()["T5"].fix("index-credentials.yml"), ci(registry))
    ok(credentials.where, sh(sandbox, "uv sync", cwd=app, env=credentials.variables))
    files = [(m, p, s) for m, p, s in registry.requests if "/simple" not in p and p.endswith(".whl")]
    assert files and all(s.startswith("2") for _, _, s in files), f"file requests: {files}"


@reproducer("T21")
def tool_upgrade_without_credentials(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    _, dists = built(sandbox)
    _publish_to(registry, dists)
    fix = job(entry.fix("tool-upgrade-credentials.yml"), ci(registry))
    install = f"uv tool install --index gitlab={registry.index_url()} my-package"
    ok(entry.where, sh(sandbox, install, env=fix.variables))  # the installing job has the credentials
    entry.shows(
        entry.block("Failed to upgrade"), failed(entry.where, sh(sandbox, "uv tool upgrade my-package"))
    )
    ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))


@reproducer("T12")
def git_dependency(entry, sandbox, request):
    need("git", "openssl")
    tmp = request.getfixturevalue("tmp_path")
    tls = make_tls(tmp / "tls")
    token = "job-token-for-git"
    git_repository(FIXTURE, tmp / "git", "group/my-package.git")
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
    tag = image_of(fix).rsplit(":", 1)[1].removeprefix(macros.UV_VERSION + "-")
    base = [b for b, info in macros.DERIVED_IMAGES.items() if tag in info["tags"]]
    assert base and macros.DERIVED_IMAGES[base[0]]["git"], f"{image_of(fix)} has no git"


@reproducer("T14")
def private_certificate_authority(entry, sandbox, request):
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
        roots = Path("/etc/ssl/certs/ca-certificates.crt")
        if not roots.is_file():
            raise Marked(f"the fix reads the public roots from {roots}, which this machine lacks")
        app = consumer(
            sandbox,
            f'[[tool.uv.index]]\nname = "gitlab"\nurl = "{index}"\nexplicit = true\n\n'
            f'[tool.uv.sources]\nmy-package = {{ index = "gitlab" }}\n',
        )
        ok(
            entry.where, sh(sandbox, "uv lock", cwd=app, env={"SSL_CERT_FILE": str(tls.ca)})
        )  # the committed lock
        fix = job(entry.fix("ca-bundle.yml"), ci(CI_PROJECT_DIR=str(app), CI_SERVER_TLS_CA_FILE=str(tls.ca)))
        fresh = {"UV_CACHE_DIR": str(sandbox.root / "job-cache")}  # nothing cached: the job must fetch
        ok(fix.where, run_job(sandbox, fix, cwd=app, env=fresh))


# --- publishing ----------------------------------------------------------------------------------


@reproducer("T4")
def publish_with_job_token(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    url = registry.upload_url()
    publish = f"uv publish --publish-url {url}"
    wrong = {"UV_PUBLISH_USERNAME": "gitlab-ci-token", "UV_PUBLISH_PASSWORD": "not-the-token"}
    entry.shows(
        entry.block("401"), failed(entry.where, sh(sandbox, publish, cwd=proj, env={**ci(), **wrong}))
    )
    # The page says --token sends the user name __token__, which GitLab refuses the same way.
    as_token = {"UV_PUBLISH_TOKEN": registry.job_token}
    entry.shows(
        entry.block("401"), failed(entry.where, sh(sandbox, publish, cwd=proj, env={**ci(), **as_token}))
    )
    no_user = {"UV_PUBLISH_PASSWORD": registry.job_token}
    entry.shows(
        entry.block("no username"),
        failed(entry.where, sh(sandbox, publish, cwd=proj, env={**ci(), **no_user})),
    )
    out = failed(entry.where, sh(sandbox, publish, cwd=proj, env=ci()))
    entry.shows(entry.block("Trusted publishing also failed"), out)
    entry.shows(entry.block("Missing credentials"), out)
    fix = job(entry.fix("publish-with-job-token.yml"), ci(registry))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert registry.files() == [d.name for d in dists]
    # The debugging variant, against a second registry: it names the user and hides the token.
    with start_registry(request.getfixturevalue("tmp_path") / "registry-2") as second:
        shutil.rmtree(proj / "dist")
        shown = entry.fix("publish-verbose.yml")
        verbose = job(shown, ci(second))
        out = ok(verbose.where, run_job(sandbox, verbose, cwd=proj, env={}))
        entry.shows(entry.output_of(shown), out)
        assert second.job_token not in out, "uv -vv printed the job token"
        assert second.files() == [d.name for d in dists]


@reproducer("T7")
def publish_same_version_twice(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj = project(sandbox)
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n" + page_toml(entry.fix("gitlab-publish-index.toml"), registry.url)
    )
    ok(entry.where, sh(sandbox, "uv build -q", cwd=proj))
    creds = {"UV_PUBLISH_USERNAME": "gitlab-ci-token", "UV_PUBLISH_PASSWORD": registry.job_token}
    publish = f"uv publish --publish-url {registry.upload_url()}"
    ok(entry.where, sh(sandbox, publish, cwd=proj, env=creds))
    block = entry.block("400 Bad Request")
    entry.shows(block, failed(entry.where, sh(sandbox, publish, cwd=proj, env=creds)))
    # The page says a check URL with only the upload credentials does not help.
    check = f"{publish} --check-url {registry.index_url()}"
    entry.shows(block, failed(entry.where, sh(sandbox, check, cwd=proj, env=creds)))
    shown = entry.fix("publish-skip-existing.yml")
    fix = job(shown, ci(registry))
    rerun = f"rm -rf {proj / 'dist'}"  # each run of the job starts from a clean checkout
    ok(entry.where, sh(sandbox, rerun))
    entry.shows(entry.output_of(shown), ok(fix.where, run_job(sandbox, fix, cwd=proj, env={})))
    # Changed sources, same version: the hashes differ.
    pyproject.write_text(pyproject.read_text().replace("The package the", "The (changed) package the"))
    ok(entry.where, sh(sandbox, rerun))
    entry.shows(entry.block("do not match"), failed(fix.where, run_job(sandbox, fix, cwd=proj, env={})))
    # New versions go up with the same job.
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    ok(entry.where, sh(sandbox, rerun))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert any("1.0.1" in name for name in registry.files()), registry.files()


@reproducer("T8", marked="only uv 0.9.x to 0.11.16 printed this; the pinned uv's first publish is checked")
def check_url_on_first_publish(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    t7 = entries()["T7"]
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n" + page_toml(t7.fix("gitlab-publish-index.toml"), registry.url)
    )
    fix = job(t7.fix("publish-skip-existing.yml"), ci(registry))
    ok(fix.where, run_job(sandbox, fix, cwd=proj, env={}))
    assert registry.files() == [d.name for d in dists]
    redirects = [r for r in registry.requests if r[2] in ("301", "302", "303", "307")]
    assert redirects, "the registry did not forward the check for the unknown package"


@reproducer("T22")
def publish_to_group(entry, sandbox, request):
    registry = request.getfixturevalue("registry")
    proj, dists = built(sandbox)
    creds = {"UV_PUBLISH_USERNAME": "gitlab-ci-token", "UV_PUBLISH_PASSWORD": registry.job_token}
    group_upload = registry.group_index_url().removesuffix("/simple")
    out = failed(entry.where, sh(sandbox, f"uv publish --publish-url {group_upload}", cwd=proj, env=creds))
    entry.shows(entry.block("groups"), out)
    fix = job(entry.fix("publish-to-project.yml"), ci(registry))
    ok(fix.where, sh(sandbox, "uv publish", cwd=proj, env={**creds, **fix.variables}))
    assert registry.files() == [d.name for d in dists]
    (group,) = [e for e in entry.section if e.origin == "snippets/troubleshooting/group-index.toml"]
    app = consumer(sandbox, page_toml(group, registry.url))
    readers = {
        "UV_INDEX_GITLAB_GROUP_USERNAME": "gitlab-ci-token",
        "UV_INDEX_GITLAB_GROUP_PASSWORD": registry.job_token,
    }
    ok(entry.where, sh(sandbox, "uv sync && uv run python -c 'import my_package'", cwd=app, env=readers))


@reproducer("T15")
def trusted_publishing(entry, sandbox, request):
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
    assert sorted(state.uploads) == [d.name for d in dists]

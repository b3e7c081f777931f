"""Effects of the fix fragments on docs/troubleshooting.md.

Each fix runs in the situation its section describes: `prepare` sets up what the job meets (a
registry with my-package in it, a marked Python, a GitLab with a private CA, a Git server) and host
jobs complete fragments that are only `variables:`. Where the page quotes the fixed job's output,
the check compares the log with the block as the page shows it (harness/reproduce.py wildcards).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import http.server
import re
import shutil
import tarfile
import time
from pathlib import Path

from harness.reproduce import (
    entries,
    git_repository,
    make_tls,
    mismatch,
    simple_index,
    start_tls,
    static_handler,
)

from effects import effect, macros
from effects._common import (
    ROOT,
    imports,
    job_dir,
    log_of,
    make_wheel,
    run_uv,
    sandbox_python,
    sandbox_root,
)

SNIPPETS = ROOT / "snippets" / "troubleshooting"
MY_PACKAGE = ROOT / "tests" / "fixtures" / "troubleshooting" / "my-package"
PAGE_HOST = "https://gitlab.example.com"  # the host the page's TOML examples name
SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")
UV_LINE = re.compile(r"^uv (\S+)", re.MULTILINE)


def uv_versions(log: str) -> list[str]:
    """Versions in the `uv X.Y.Z` lines a job printed."""
    return UV_LINE.findall(log)


def page_output(name: str):
    """The `<!-- check: output -->` block that follows snippets/troubleshooting/<name> on the page."""
    for entry in entries().values():
        for example in entry.section:
            if example.origin == f"snippets/troubleshooting/{name}":
                return entry.output_of(example)
    raise AssertionError(f"docs/troubleshooting.md does not include snippets/troubleshooting/{name}")


def shows(block, log: str) -> None:
    problem = mismatch(block, log)
    assert problem is None, problem


# What `uv build` at the sample workspace's root makes: the root package only.
SAMPLE_FILES = ["sample-0.1.0-py3-none-any.whl", "sample-0.1.0.tar.gz"]


def refused(run) -> list[tuple[str, str, str]]:
    return [r for r in run.registry.requests if r[2] in ("401", "403", "404")]


# --- servers that prepare hooks start (stopped by the next prepare, or when the process ends) ----

_SERVERS = contextlib.ExitStack()
atexit.register(_SERVERS.close)


def serve_tls(handler, tls, port: int = 0) -> int:
    """Serve `handler` over TLS on 127.0.0.1:`port` (0: any free port) in a thread; return the port."""
    _SERVERS.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError as exc:  # a fixed port another run of this check still holds
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    start_tls(server, tls)
    _SERVERS.callback(server.server_close)
    _SERVERS.callback(server.shutdown)
    return server.server_address[1]


# --- a project that depends on my-package from an index --------------------------------------------


def depend_on_my_package(workdir: Path, toml: str = "", requirement: str = "my-package", env=None) -> None:
    """The sample project, depending on `requirement` with `toml` (index and sources) added; locked."""
    index, _, sources = toml.partition("[tool.uv.sources]\n")
    pyproject = workdir / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace('dependencies = ["sample-lib"]', f'dependencies = ["sample-lib", "{requirement}"]', 1)
    text = text.replace("[tool.uv.sources]\n", "[tool.uv.sources]\n" + sources.strip() + "\n", 1)
    pyproject.write_text(text.rstrip("\n") + "\n\n" + index)
    result = run_uv(["lock"], workdir, workdir.parent / "prepare-uv", env or {})
    assert result.returncode == 0, f"uv lock of the prepared project failed:\n{result.stderr}"


def page_toml(name: str, url: str) -> str:
    text = (SNIPPETS / name).read_text()
    assert PAGE_HOST in text, f"snippets/troubleshooting/{name}: expected the example host {PAGE_HOST}"
    return text.replace(PAGE_HOST, url)


def build_my_package(where: Path, version: str = "1.0.0") -> list[Path]:
    """tests/fixtures/troubleshooting/my-package at `version`, built with the pinned uv."""
    project = where / f"my-package-{version}"
    shutil.copytree(MY_PACKAGE, project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', f'version = "{version}"', 1))
    result = run_uv(["build", "-q"], project, where / "prepare-uv", {})
    assert result.returncode == 0, f"uv build of my-package failed:\n{result.stderr}"
    return sorted((project / "dist").glob("my_package-*"))


def use_my_package(workdir: Path) -> None:
    """Make the repository the page's my-package instead of the sample project."""
    for path in workdir.iterdir():
        if path.name not in (".gitlab-ci.yml", ".gitignore"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(MY_PACKAGE, workdir, dirs_exist_ok=True)


# --- uv itself -----------------------------------------------------------------------------------


@effect("snippets/troubleshooting/print-uv-version.yml")
def uv_prints_its_own_version(run):
    assert uv_versions(log_of(run, "versions")) == [macros().UV_VERSION], "the job did not log uv's version"


@effect("snippets/troubleshooting/pin-uv-by-image.yml")
def the_job_logs_the_pinned_uv(run):
    pin = re.search(r'UV_VERSION: "(.+)"', run.text)[1]
    assert uv_versions(log_of(run, "test")) == [pin], f"the job did not log uv {pin}, the pin above"


@effect("snippets/troubleshooting/existing-image-tag.yml")
@effect("snippets/troubleshooting/derived-image.yml")
def the_job_runs_the_uv_its_image_tag_names(run):
    # Whether the registry has the tag is the YAML check's image rule; here the job's script runs.
    tag_version = re.search(r"uv:(?:\$UV_VERSION|(\d+\.\d+\.\d+))", run.text)[1] or re.search(
        r'UV_VERSION: "(.+)"', run.text
    )[1]
    assert uv_versions(log_of(run, "test")) == [tag_version], f"the job did not log uv {tag_version}"


# --- environments --------------------------------------------------------------------------------

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


@effect(
    "snippets/troubleshooting/break-system-packages.yml", host=INSTALL_LIB, prepare=_externally_managed
)
def installs_over_the_marker(run):
    stdlib = next((run.sandbox.root / "python" / "lib").glob("python3.*"))
    assert (stdlib / "EXTERNALLY-MANAGED").is_file(), "the marker is gone: the job did not face it"
    assert imports(run, sandbox_python(run), "sample_lib"), "sample-lib is not in the marked Python"


@effect("snippets/troubleshooting/system-python-opt-out.yml")
def the_job_installs_into_its_venv_only(run):
    venv_python = job_dir(run, "install-venv") / ".venv/bin/python"
    assert imports(run, venv_python, "sample_lib"), "sample-lib is not in the job's .venv"
    assert not imports(run, sandbox_python(run), "sample_lib"), "the job installed into the system Python"


# A cache on another file system than the project, as in GitLab's job containers.
OTHER_FS_SYNC = """
test:
  script:
    - export UV_CACHE_DIR="$(mktemp -d /dev/shm/uv-effects-cache-XXXXXX)"
    - trap 'rm -rf "$UV_CACHE_DIR"' EXIT
    - test "$(stat -c %d "$UV_CACHE_DIR")" != "$(stat -c %d .)"
    - uv sync --locked
"""


@effect("snippets/troubleshooting/link-mode-copy.yml", host=OTHER_FS_SYNC)
def copies_across_file_systems_without_the_warning(run):
    assert "Failed to hardlink" not in log_of(run, "test"), "uv still warns about hard links"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"


# An earlier job leaves a .venv that comes back with the cache.
CACHED_VENV = """
default:
  cache:
    key: venv
    paths:
      - .venv

leave-venv:
  stage: .pre
  script:
    - uv venv
    - touch .venv/left-by-an-earlier-job
"""


@effect("snippets/troubleshooting/venv-clear.yml", host=CACHED_VENV)
def the_cached_venv_is_replaced(run):
    assert "test imported cache 'venv'" in run.log, "the test job did not get the earlier .venv"
    venv = job_dir(run, "test") / ".venv"
    assert (venv / "pyvenv.cfg").is_file(), "no new .venv"
    assert not (venv / "left-by-an-earlier-job").exists(), "the earlier .venv was kept, not replaced"


# --- caches --------------------------------------------------------------------------------------


def _requirements_from_registry(workdir, registry):
    """my-package published to the project; requirements.txt names it and the project's index."""
    wheel = make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 'hello'\n")
    registry.add_package(wheel)
    index = registry.authenticated(registry.index_url())
    (workdir / "requirements.txt").write_text(f"--index-url {index}\nmy-package\n")


# A later job with the cache the first one saved, and no network.
LATER_JOB = """
later-job:
  extends: test
  stage: deploy
"""


@effect(
    "snippets/troubleshooting/install-in-every-job.yml",
    host=LATER_JOB,
    prepare=_requirements_from_registry,
)
def every_job_installs_again(run):
    for job in ("test", "later-job"):
        assert "Name: my-package" in log_of(run, job), f"{job}: `uv pip show my-package` found nothing"
    assert "later-job imported cache" in run.log, "the later job got no cache"


CACHED_SYNC = """
test:
  cache:
    key: uv
    paths:
      - .uv-cache
  script:
    - uv sync --locked
"""


@effect("snippets/troubleshooting/cache-in-project.yml", host=CACHED_SYNC)
def the_cache_is_in_the_build_directory(run):
    assert (job_dir(run, "test") / ".uv-cache" / "CACHEDIR.TAG").is_file(), "no uv cache in the build dir"
    assert any((c / ".uv-cache").is_dir() for c in run.cache_dirs()), "GitLab did not save .uv-cache"
    default = Path(run.sandbox.env["UV_CACHE_DIR"])
    assert not any(default.iterdir()), f"uv still wrote to its default cache {default}"


PIPELINE_CACHE = """
variables:
  UV_CACHE_DIR: .uv-cache
"""


@effect("snippets/troubleshooting/build-without-cache.yml", host=PIPELINE_CACHE)
def builds_without_the_warning_or_the_cache(run):
    assert "inside the build source directory" not in log_of(run, "build"), "uv build still warns"
    assert not (job_dir(run, "build") / ".uv-cache").exists(), "the build job made a cache"
    artifacts = run.jobs["build"].artifacts
    assert artifacts is not None, "the build job kept no artifacts"
    assert sorted(p.name for p in (artifacts / "dist").glob("sample-*")) == SAMPLE_FILES
    with tarfile.open(artifacts / "dist" / "sample-0.1.0.tar.gz") as sdist:
        assert not [m for m in sdist.getnames() if ".uv-cache" in m], "the sdist holds the cache"


# --- indexes and credentials ---------------------------------------------------------------------


def _private_my_package(workdir, registry):
    """my-package in the project's registry; the sample depends on it through the page's TOML."""
    registry.add_package(make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 1\n"))
    credentials = {
        "UV_INDEX_GITLAB_USERNAME": registry.job_token_user,
        "UV_INDEX_GITLAB_PASSWORD": registry.job_token,
    }
    depend_on_my_package(workdir, page_toml("gitlab-index.toml", registry.url), env=credentials)


SYNC = """
test:
  script:
    - uv sync --locked
"""


@effect("snippets/troubleshooting/index-credentials.yml", host=SYNC, prepare=_private_my_package)
def the_private_package_installs(run):
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "my_package"), "my-package not in .venv"
    assert not refused(run), f"the registry refused requests: {refused(run)}"


def _tool_from_registry(workdir, registry):
    """my-package 1.0.0 in the registry; 1.0.1 in the repository, for a release job to publish."""
    for dist in build_my_package(workdir.parent, "1.0.0"):
        registry.add_package(dist)
    (workdir / "new-release").mkdir()
    for dist in build_my_package(workdir.parent, "1.0.1"):
        shutil.copy2(dist, workdir / "new-release")


# One job installs the tool (with credentials), a release follows, then the fragment's job upgrades.
INSTALL_THEN_RELEASE = """
install-tools:
  stage: .pre
  variables:
    UV_INDEX_GITLAB_USERNAME: gitlab-ci-token
    UV_INDEX_GITLAB_PASSWORD: ${CI_JOB_TOKEN}
  script:
    - uv tool install --index "gitlab=$CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/pypi/simple" my-package

release:
  stage: build
  variables:
    UV_PUBLISH_URL: ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi
    UV_PUBLISH_USERNAME: gitlab-ci-token
    UV_PUBLISH_PASSWORD: ${CI_JOB_TOKEN}
  script:
    - uv publish new-release/*
"""


@effect(
    "snippets/troubleshooting/tool-upgrade-credentials.yml",
    host=INSTALL_THEN_RELEASE,
    prepare=_tool_from_registry,
)
def the_tool_is_upgraded(run):
    assert "my-package v1.0.0 -> v1.0.1" in log_of(run, "upgrade-tools"), "the upgrade did not happen"
    listed = run.sandbox.run(["uv", "tool", "list"]).stdout
    assert "my-package v1.0.1" in listed, f"uv tool list shows:\n{listed}"


def _git_server(workdir, registry):
    """my-package in a Git repository of this GitLab, served over HTTPS to the job token only; the
    sample depends on it by its ssh:// URL. The rewritten URL has no port: the server needs 443."""
    tls = make_tls(workdir.parent / "git-tls", "GitLab CA")
    git_repository(MY_PACKAGE, workdir.parent / "git", "group/my-package.git")
    user, token = registry.job_token_user, registry.job_token
    try:
        serve_tls(static_handler(workdir.parent / "git", user=user, password=token), tls, port=443)
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


@effect("snippets/troubleshooting/git-over-https.yml", prepare=_git_server)
def the_git_dependency_came_over_https(run):
    _SERVERS.close()
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "my_package"), "my-package is not in .venv"
    token = run.registry.job_token.encode()
    places = [directory, Path(run.sandbox.env["UV_CACHE_DIR"])]
    written = [p for d in places for p in d.rglob("*") if p.is_file() and token in p.read_bytes()]
    assert not written, f"the job token was written to {written}"


def _private_ca_index(workdir, registry):
    """my-package on an HTTPS index whose certificate a private CA signed; the sample depends on it."""
    tls = make_tls(workdir.parent / "ca-tls", "GitLab CA")
    wheel = make_wheel(workdir.parent, "my-package", "1.0.0", "def hello():\n    return 1\n")
    simple_index(workdir.parent / "www", "api/v4/projects/42/packages/pypi", [wheel])
    port = serve_tls(static_handler(workdir.parent / "www"), tls)
    index = f"https://127.0.0.1:{port}/api/v4/projects/42/packages/pypi/simple"
    toml = f'[[tool.uv.index]]\nname = "gitlab"\nurl = "{index}"\nexplicit = true\n\n'
    toml += '[tool.uv.sources]\nmy-package = { index = "gitlab" }\n'
    depend_on_my_package(workdir, toml, env={"SSL_CERT_FILE": str(tls.ca)})
    shutil.copy2(tls.ca, workdir / "gitlab-ca.pem")  # what the runner hands over in CI_SERVER_TLS_CA_FILE


@effect(
    "snippets/troubleshooting/ca-bundle.yml",
    variables={"CI_SERVER_TLS_CA_FILE": "gitlab-ca.pem"},
    prepare=_private_ca_index,
)
def installs_from_the_private_ca_host_and_keeps_public_roots(run):
    _SERVERS.close()
    directory = job_dir(run, "test")
    assert imports(run, directory / ".venv/bin/python", "my_package"), "my-package is not in .venv"
    bundle = (directory / ".ca-bundle.pem").read_text()
    assert bundle.startswith(SYSTEM_ROOTS.read_text()), "the bundle lacks the public roots"


# --- publishing ----------------------------------------------------------------------------------


@effect("snippets/troubleshooting/publish-with-job-token.yml")
def published_with_the_job_token(run):
    assert run.registry.files() == SAMPLE_FILES
    assert not refused(run), f"the registry refused requests: {refused(run)}"


@effect("snippets/troubleshooting/publish-verbose.yml")
def published_and_the_log_names_the_user_not_the_token(run):
    log = log_of(run, "publish")
    shows(page_output("publish-verbose.yml"), log)
    assert run.registry.job_token not in log, "the job token is in the log"
    assert run.registry.files() == SAMPLE_FILES


def _already_published(workdir, registry):
    """my-package (the page's package) with the page's index TOML, its files already in the registry."""
    use_my_package(workdir)
    pyproject = workdir / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + page_toml("gitlab-publish-index.toml", registry.url))
    earlier = workdir.parent / "earlier-release"
    result = run_uv(["build", "-q", "--out-dir", str(earlier)], workdir, workdir.parent / "prepare-uv", {})
    assert result.returncode == 0, f"uv build of my-package failed:\n{result.stderr}"
    for dist in earlier.glob("my_package-*"):
        registry.add_package(dist)


@effect("snippets/troubleshooting/publish-skip-existing.yml", prepare=_already_published)
def the_rerun_skips_what_is_there(run):
    shows(page_output("publish-skip-existing.yml"), log_of(run, "publish"))
    uploads = [r for r in run.registry.requests if r[0] == "POST"]
    assert not uploads, f"the job uploaded again: {uploads}"
    assert run.registry.files() == ["my_package-1.0.0-py3-none-any.whl", "my_package-1.0.0.tar.gz"]


PUBLISH = """
publish:
  variables:
    UV_PUBLISH_USERNAME: gitlab-ci-token
    UV_PUBLISH_PASSWORD: ${CI_JOB_TOKEN}
  script:
    - uv build
    - uv publish
"""


@effect("snippets/troubleshooting/publish-to-project.yml", host=PUBLISH)
def published_to_the_project(run):
    assert run.registry.files() == SAMPLE_FILES
    assert not [r for r in run.registry.requests if "/groups/" in r[1]], "something went to the group"

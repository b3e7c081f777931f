"""Values the pages must not retype: one source for the site (mkdocs-macros) and the checker.

The uv version is read from the exact pin in pyproject.toml, so bumping uv is one edit there. When
the checker runs against another release (`uv run pytest --uv VERSION`, tests/harness/uv_under_test.py),
it names that release in GUIDE_UV_VERSION, and the pages render for it.
The image data follows uv's "Available images" list (docs/guides/integration/docker.md, as of the
uv 0.12 and 0.13 releases) and the removals of uv 0.10.0 (https://github.com/astral-sh/uv/pull/17755).
It leaves out the Python 3.15 release-candidate images (`python3.15-rc-*`,
https://github.com/astral-sh/uv/issues/22459); docs/images.md says so.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pinned_uv() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for requirement in pyproject["dependency-groups"]["checker"]:
        if m := re.fullmatch(r"uv==(\d+\.\d+\.\d+)", requirement):
            return m[1]
    raise LookupError("pyproject.toml: the checker group must pin uv exactly (uv==X.Y.Z)")


PINNED_UV = _pinned_uv()
UV_VERSION = os.environ.get("GUIDE_UV_VERSION") or PINNED_UV
UV_MINOR = ".".join(UV_VERSION.split(".")[:2])
# The Python the guide's examples use, and the image base it recommends.
PYTHON_VERSION = "3.12"
BASE_LAYER = "trixie-slim"

# Derived images: base image -> the tags it is published under (without a uv version prefix).
# `git` is present in the buildpack-deps based images only. `shell`: whether GitLab can run a job's
# script in the image; None where nobody checked (the Docker Hardened Image bases).
_PY = ("3.10", "3.11", "3.12", "3.13", "3.14")
DERIVED_IMAGES: dict[str, dict] = {
    "alpine:3.23": {"tags": ["alpine", "alpine3.23"], "git": False, "python": False, "shell": True},
    "alpine:3.22": {"tags": ["alpine3.22"], "git": False, "python": False, "shell": True},
    "debian:trixie-slim": {
        "tags": ["debian-slim", "trixie-slim"],
        "git": False,
        "python": False,
        "shell": True,
    },
    "buildpack-deps:trixie": {"tags": ["debian", "trixie"], "git": True, "python": False, "shell": True},
    "dhi.io/alpine-base:3.23": {
        "tags": ["alpine-dhi", "alpine3.23-dhi"],
        "git": False,
        "python": False,
        "shell": None,
    },
    "dhi.io/debian-base:trixie-debian13": {
        "tags": ["debian-dhi", "trixie-dhi"],
        "git": False,
        "python": False,
        "shell": None,
    },
    # Runtime images without a shell (https://docs.docker.com/dhi/troubleshoot/).
    **{
        f"dhi.io/python:{v}": {"tags": [f"python{v}-dhi"], "git": False, "python": True, "shell": False}
        for v in _PY
    },
    **{
        f"python:{v}-alpine3.23": {
            "tags": [f"python{v}-alpine", f"python{v}-alpine3.23"],
            "git": False,
            "python": True,
            "shell": True,
        }
        for v in _PY
    },
    "python:3.9-alpine3.22": {
        "tags": ["python3.9-alpine", "python3.9-alpine3.22"],
        "git": False,
        "python": True,
        "shell": True,
    },
    **{
        f"python:{v}-trixie": {"tags": [f"python{v}-trixie"], "git": True, "python": True, "shell": True}
        for v in ("3.9", *_PY)
    },
    **{
        f"python:{v}-slim-trixie": {
            "tags": [f"python{v}-trixie-slim"],
            "git": False,
            "python": True,
            "shell": True,
        }
        for v in ("3.9", *_PY)
    },
}
DERIVED_TAGS = frozenset(tag for image in DERIVED_IMAGES.values() for tag in image["tags"])


def image_tags(uv_version: str = UV_VERSION) -> frozenset[str]:
    """Every tag published for `uv_version` under uv's tag scheme."""
    minor = ".".join(uv_version.split(".")[:2])
    distroless = {"latest", uv_version, minor}
    derived = {f"{prefix}{tag}" for tag in DERIVED_TAGS for prefix in ("", f"{uv_version}-", f"{minor}-")}
    return frozenset(distroless | derived)

# --- reference data ------------------------------------------------------------------------------
# One row per setting a CI job is likely to need. `env` is the variable uv reads (the YAML checker
# rejects UV_* names the pinned uv does not know); `flag` and `setting` are the command-line and
# pyproject.toml/uv.toml forms ("" when there is none); tests/test_prose.py checks each variable
# and flag of the table against the uv under test; `page` is where the guide uses it.
UV_SETTINGS: list[dict[str, str]] = [
    {
        "env": "UV_CACHE_DIR",
        "flag": "--cache-dir",
        "setting": "cache-dir",
        "ci": "Where uv keeps its cache. Set it to `.uv-cache`: GitLab caches paths inside the project only.",
        "page": "caching.md#keep-the-cache-inside-the-project",
    },
    {
        "env": "UV_LINK_MODE",
        "flag": "--link-mode",
        "setting": "link-mode",
        "ci": "`copy`: copy files from the cache into `.venv`. With the cache on another mount it silences "
        "the hard-link warning; with the cache in the build directory it replaces hard links by copies.",
        "page": "projects.md#copy-instead-of-linking",
    },
    {
        "env": "UV_LOCKED",
        "flag": "--locked",
        "setting": "",
        "ci": "Fail when `uv.lock` does not match `pyproject.toml` instead of updating it.",
        "page": "projects.md#install-the-locked-project",
    },
    {
        "env": "UV_FROZEN",
        "flag": "--frozen",
        "setting": "",
        "ci": "Use `uv.lock` as it is, without checking it against `pyproject.toml`.",
        "page": "projects.md#install-the-locked-project",
    },
    {
        "env": "UV_PYTHON",
        "flag": "--python",
        "setting": "",
        "ci": "Which Python a job uses; set it when a `.python-version` file would pick another one than the image has.",
        "page": "projects.md#test-against-several-python-versions",
    },
    {
        "env": "UV_PYTHON_INSTALL_DIR",
        "flag": "",
        "setting": "",
        "ci": "Where uv installs Python; point it into the project when HOME is not writable.",
        "page": "projects.md#run-as-a-non-root-user",
    },
    {
        "env": "UV_SYSTEM_PYTHON",
        "flag": "--system",
        "setting": "pip.system",
        "ci": "`uv pip` installs into the image's Python instead of requiring a virtual environment.",
        "page": "uv-pip.md#install-into-the-images-python",
    },
    {
        "env": "UV_BREAK_SYSTEM_PACKAGES",
        "flag": "--break-system-packages",
        "setting": "pip.break-system-packages",
        "ci": "Allow `uv pip` to change a Python marked `EXTERNALLY-MANAGED` (Debian's own Python).",
        "page": "uv-pip.md#externally-managed-python",
    },
    {
        "env": "UV_INDEX",
        "flag": "--index",
        "setting": "index",
        "ci": "Extra indexes, `name=url` to name one so that its credentials can come from variables.",
        "page": "private-packages.md#install-from-the-registry-in-a-job",
    },
    {
        "env": "UV_INDEX_<NAME>_USERNAME",
        "flag": "",
        "setting": "",
        "ci": "User name for the index called `<name>`, to install and to `uv publish --index <name>`: "
        "`gitlab-ci-token` for the job token.",
        "page": "private-packages.md#give-the-job-token-to-uv",
    },
    {
        "env": "UV_INDEX_<NAME>_PASSWORD",
        "flag": "",
        "setting": "",
        "ci": "Password for the index called `<name>`: `$CI_JOB_TOKEN`.",
        "page": "private-packages.md#give-the-job-token-to-uv",
    },
    {
        "env": "UV_PUBLISH_INDEX",
        "flag": "--index",
        "setting": "",
        "ci": "The index to publish to, by name: uv uploads to its `publish-url`, first looks for the files "
        "in its `url`, and sends its `UV_INDEX_<NAME>_*` credentials to both.",
        "page": "publishing.md#publish-to-the-projects-registry",
    },
    {
        "env": "UV_PUBLISH_URL",
        "flag": "--publish-url",
        "setting": "publish-url",
        "ci": "The upload endpoint without an index: the registry URL without `/simple`.",
        "page": "publishing.md#publish-to-the-projects-registry",
    },
    {
        "env": "UV_PUBLISH_USERNAME",
        "flag": "--username",
        "setting": "",
        "ci": "User name for the upload only; with `--index`, set the index's credentials instead.",
        "page": "publishing.md#make-retries-safe",
    },
    {
        "env": "UV_PUBLISH_PASSWORD",
        "flag": "--password",
        "setting": "",
        "ci": "Password for the upload only, as the user name above.",
        "page": "publishing.md#make-retries-safe",
    },
    {
        "env": "UV_PUBLISH_TOKEN",
        "flag": "--token",
        "setting": "",
        "ci": "Sends the user name `__token__`; GitLab's job token needs `gitlab-ci-token`, so do not use it there.",
        "page": "publishing.md#publish-to-the-projects-registry",
    },
    {
        "env": "UV_PUBLISH_CHECK_URL",
        "flag": "--check-url",
        "setting": "check-url",
        "ci": "An index to look in first: files already there are skipped. `--index` sets it to the index's "
        "`url`.",
        "page": "publishing.md#make-retries-safe",
    },
    {
        "env": "",
        "flag": "--trusted-publishing",
        "setting": "trusted-publishing",
        "ci": "`always` fails early when the job has no ID token for PyPI.",
        "page": "publishing.md#publish-to-pypi-with-trusted-publishing",
    },
    {
        "env": "UV_SYSTEM_CERTS",
        "flag": "--system-certs",
        "setting": "system-certs",
        "ci": "Trust the certificates installed in the image instead of uv's bundled roots.",
        "page": "self-managed.md#trust-the-images-certificate-store",
    },
]

# GitLab's predefined variables the guide uses (docs.gitlab.com/ci/variables/predefined_variables/),
# and the ID token a job defines for PyPI.
GITLAB_VARIABLES: list[dict[str, str]] = [
    {
        "name": "CI_API_V4_URL",
        "holds": "The REST API root, for example `https://gitlab.example.com/api/v4`.",
        "page": "publishing.md#publish-to-the-projects-registry",
    },
    {
        "name": "CI_PROJECT_ID",
        "holds": "The project's numeric ID: the registry URL is `$CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/pypi`.",
        "page": "publishing.md#publish-to-the-projects-registry",
    },
    {
        "name": "CI_PROJECT_NAMESPACE_ID",
        "holds": "The ID of the group the project is in, for the group index.",
        "page": "private-packages.md#project-or-group-endpoint",
    },
    {
        "name": "CI_JOB_TOKEN",
        "holds": "A token valid while the job runs, with the permissions of the user who started the pipeline; "
        "its user name is `gitlab-ci-token`.",
        "page": "private-packages.md#give-the-job-token-to-uv",
    },
    {
        "name": "CI_SERVER_HOST",
        "holds": "The GitLab host name, for `git config url.<base>.insteadOf` rules.",
        "page": "private-packages.md#private-git-dependencies",
    },
    {
        "name": "CI_COMMIT_TAG",
        "holds": "The tag a tag pipeline runs for; empty otherwise. Use it in `rules:` and as the version.",
        "page": "publishing.md#take-the-version-from-the-tag",
    },
    {
        "name": "CI_PROJECT_DIR",
        "holds": "The checkout; everything GitLab caches must be inside it.",
        "page": "caching.md#keep-the-cache-inside-the-project",
    },
    {
        "name": "CI_SERVER_TLS_CA_FILE",
        "holds": "Set only when the runner's configuration has `tls-ca-file`: a file with the certificates "
        "the runner uses to verify GitLab; not a full CA bundle.",
        "page": "self-managed.md#trust-the-gitlab-servers-certificate",
    },
    {
        "name": "PYPI_ID_TOKEN",
        "holds": "Not predefined: the job defines it under `id_tokens:` with `aud: pypi` for trusted publishing.",
        "page": "publishing.md#publish-to-pypi-with-trusted-publishing",
    },
]


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def image_table() -> str:
    """Markdown table of the images uv publishes, from DERIVED_IMAGES (what the checker accepts)."""
    rows = [
        "| Base image | Tags | Python | `git` | Shell |",
        "| --- | --- | --- | --- | --- |",
        f"| none (distroless) | `latest`, `{UV_VERSION}`, `{UV_MINOR}` | no | no | no |",
    ]
    for base, image in DERIVED_IMAGES.items():
        tags = ", ".join(f"`{tag}`" for tag in image["tags"])
        python = "yes" if image["python"] else "no"
        git = "yes" if image["git"] else "no"
        shell = {True: "yes", False: "no", None: "not checked"}[image["shell"]]
        rows.append(f"| `{base}` | {tags} | {python} | {git} | {shell} |")
    return "\n".join(rows)


def settings_table() -> str:
    """Markdown table of UV_SETTINGS."""
    rows = [
        "| Variable | Flag | Setting | What it does in a job |",
        "| --- | --- | --- | --- |",
    ]
    for s in UV_SETTINGS:
        ci = f"{s['ci']} ([more]({s['page']}))"
        rows.append(f"| {_code(s['env'])} | {_code(s['flag'])} | {_code(s['setting'])} | {ci} |")
    return "\n".join(rows)


def variables_table() -> str:
    """Markdown table of GITLAB_VARIABLES."""
    rows = ["| Variable | What it holds |", "| --- | --- |"]
    for v in GITLAB_VARIABLES:
        rows.append(f"| `{v['name']}` | {v['holds']} ([used here]({v['page']})) |")
    return "\n".join(rows)


def define_env(env) -> None:
    """mkdocs-macros entry point: the variables and macros pages may use."""
    env.variables.update(
        {
            "uv_version": UV_VERSION,
            "uv_minor": UV_MINOR,
            "python_version": PYTHON_VERSION,
            "base_layer": BASE_LAYER,
            "image": f"ghcr.io/astral-sh/uv:{UV_VERSION}-python{PYTHON_VERSION}-{BASE_LAYER}",
            "derived_images": DERIVED_IMAGES,
        }
    )
    for function in (image_table, settings_table, variables_table):
        env.macro(function)

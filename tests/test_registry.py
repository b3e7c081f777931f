"""The local registry answers like GitLab's PyPI registry, to the real uv and to plain HTTP."""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from harness.collect import ROOT
from harness.registry import start_registry
from harness.uv_under_test import copy_project, current

SAMPLE = ROOT / "tests" / "fixtures" / "sample-project"


@pytest.fixture(autouse=True)
def _report(record_property):
    record_property("check", "registry")


@pytest.fixture
def project(sandbox) -> Path:
    """A copy of the sample project with its distributions built in dist/."""
    copy = sandbox.root / "work" / "sample"
    copy_project(SAMPLE, copy)
    assert sandbox.run(["uv", "build", "--all-packages"], cwd=copy).returncode == 0
    return copy


@pytest.fixture
def public_dist(sandbox) -> Path:
    """A wheel of a package only the public index has."""
    src = sandbox.root / "work" / "public-helper"
    (src / "src" / "public_helper").mkdir(parents=True)
    (src / "src" / "public_helper" / "__init__.py").write_text("ANSWER = 42\n")
    (src / "pyproject.toml").write_text(
        '[project]\nname = "public-helper"\nversion = "3.0"\n'
        f'[build-system]\nrequires = ["{current().build_requires}"]\nbuild-backend = "uv_build"\n'
    )
    assert sandbox.run(["uv", "build", "--wheel"], cwd=src).returncode == 0
    (wheel,) = (src / "dist").glob("*.whl")
    return wheel


def publish(sandbox, project, url, user, password):
    return sandbox.run(
        [
            "uv",
            "publish",
            "--trusted-publishing",
            "never",
            "--username",
            user,
            "--password",
            password,
            "--publish-url",
            url,
        ],
        cwd=project,
    )


def get(url: str, auth: tuple[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, method=method)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def token(registry):
    return (registry.job_token_user, registry.job_token)


def test_job_token_publishes_to_the_project(sandbox, registry, project):
    result = publish(sandbox, project, registry.upload_url(), "gitlab-ci-token", registry.job_token)
    assert result.returncode == 0, result.stderr
    assert registry.files() == [
        "sample-0.1.0-py3-none-any.whl",
        "sample-0.1.0.tar.gz",
        "sample_lib-0.1.0-py3-none-any.whl",
        "sample_lib-0.1.0.tar.gz",
    ]
    assert registry.files(registry.other_project_id) == []


@pytest.mark.parametrize(
    ("user", "password"),
    [("gitlab-ci-token", "wrong-token"), ("gitlab-ci-user", None), ("__token__", None)],
    ids=["wrong-token", "wrong-user", "pypi-token-user"],
)
def test_bad_credentials_are_401(sandbox, registry, project, user, password):
    result = publish(sandbox, project, registry.upload_url(), user, password or registry.job_token)
    assert result.returncode != 0
    assert 'status code 401 Unauthorized. Server says: {"message":"401 Unauthorized"}' in result.stderr
    assert registry.files() == []


def test_no_credentials_are_401(registry):
    status, headers, body = get(registry.upload_url(), method="POST")
    assert (status, json.loads(body)) == (401, {"message": "401 Unauthorized"})
    assert headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("pid", ["43", "99"], ids=["no-access", "unknown"])
def test_project_out_of_reach_is_404(sandbox, registry, project, pid):
    result = publish(sandbox, project, registry.upload_url(pid), "gitlab-ci-token", registry.job_token)
    assert result.returncode != 0
    assert "status code 404 Not Found" in result.stderr
    status, _, _ = get(registry.index_url(pid) + "/", auth=token(registry))
    assert status == 404


def test_same_file_twice_is_400(sandbox, registry, project):
    assert (
        publish(sandbox, project, registry.upload_url(), "gitlab-ci-token", registry.job_token).returncode
        == 0
    )
    again = publish(sandbox, project, registry.upload_url(), "gitlab-ci-token", registry.job_token)
    assert again.returncode != 0
    assert "status code 400 Bad Request" in again.stderr
    assert "File name has already been taken" in again.stderr


def test_project_path_works_like_its_id(sandbox, registry, project):
    url = registry.upload_url("group%2Fdemo")
    assert publish(sandbox, project, url, "gitlab-ci-token", registry.job_token).returncode == 0
    assert len(registry.files()) == 4


def test_reading_the_index_needs_credentials(registry):
    assert get(registry.index_url() + "/")[0] == 401
    assert get(registry.index_url() + "/", auth=token(registry))[0] == 200


def test_index_url_without_simple_is_404(registry, project):
    registry.add_package(next((project / "dist").glob("sample-*.whl")))
    assert get(registry.index_url() + "/sample/", auth=token(registry))[0] == 200
    assert get(registry.upload_url() + "/sample/", auth=token(registry))[0] == 404


def test_published_package_installs_from_project_and_group_index(sandbox, registry, project):
    assert (
        publish(sandbox, project, registry.upload_url(), "gitlab-ci-token", registry.job_token).returncode
        == 0
    )
    for index in (registry.index_url(), registry.group_index_url()):
        result = registry.install_fresh(sandbox, sandbox.root / f"venv-{len(index)}", "sample", index=index)
        assert result.returncode == 0, result.stderr
        assert "+ sample==0.1.0" in result.stderr and "+ sample-lib==0.1.0" in result.stderr


def test_group_endpoint_takes_no_uploads(sandbox, registry, project):
    url = registry.group_index_url().removesuffix("/simple")
    result = publish(sandbox, project, url, "gitlab-ci-token", registry.job_token)
    assert result.returncode != 0
    assert "status code 404 Not Found" in result.stderr


def test_unknown_names_are_forwarded_to_the_public_index(sandbox, registry, public_dist):
    registry.add_public_package(public_dist)
    status, headers, _ = get(registry.index_url() + "/public-helper/", auth=token(registry))
    assert status in (302, 303)
    assert headers["Location"] == f"{registry.public_index_url}/public-helper/"
    result = registry.install_fresh(sandbox, sandbox.root / "venv", "public-helper")
    assert result.returncode == 0, result.stderr
    assert "+ public-helper==3.0" in result.stderr


def test_known_names_are_not_forwarded(registry, project, public_dist):
    registry.add_public_package(public_dist)
    registry.add_package(next((project / "dist").glob("sample-*.whl")))
    status, _, body = get(registry.index_url() + "/sample/", auth=token(registry))
    assert status == 200 and "sample-0.1.0-py3-none-any.whl" in body


def test_registry_stops_and_storage_is_fresh(tmp_path):
    with start_registry(tmp_path / "a") as first:
        port = first.port
        assert get(first.index_url() + "/", auth=token(first))[0] == 200
        assert first.files() == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_each_registry_has_its_own_token(tmp_path):
    with start_registry(tmp_path / "a") as a, start_registry(tmp_path / "b") as b:
        assert a.job_token != b.job_token and a.port != b.port
        assert get(b.index_url() + "/", auth=token(a))[0] == 401


def test_forwarded_names_come_from_the_wheelhouse_and_unknown_ones_are_not_found(sandbox, registry):
    """"PyPI" behind the forward holds the wheelhouse: what it locks installs (hashes checked), and
    a name it lacks is not found there either."""
    result = registry.install_fresh(sandbox, sandbox.root / "venv", "iniconfig")
    assert result.returncode == 0, result.stderr
    assert "+ iniconfig==" in result.stderr
    assert ("GET", "/public/simple/iniconfig/", "200") in registry.requests
    missing = registry.install_fresh(sandbox, sandbox.root / "venv-2", "not-in-the-wheelhouse")
    assert missing.returncode != 0
    assert "not found in the package registry" in missing.stderr, missing.stderr


def test_pypi_org_is_the_same_pypi_through_the_proxy(sandbox, registry, public_dist):
    """pypi.org's own URLs (through the stand-in the sandbox's proxy variables point at) serve the
    wheelhouse and the files added to "PyPI"; another host is refused."""
    registry.add_public_package(public_dist)
    venv = sandbox.root / "venv"
    assert sandbox.run(["uv", "venv", str(venv)]).returncode == 0
    for name in ("iniconfig", "public-helper"):
        install = ["uv", "pip", "install", "--python", str(venv), "--index-url", "https://pypi.org/simple", name]
        result = sandbox.run(install)
        assert result.returncode == 0, result.stderr
    assert ("pypi.org", "GET", "/simple/public-helper/", "200") in registry.pypi.requests
    other = sandbox.run(
        ["uv", "pip", "install", "--python", str(venv), "--index-url", "https://example.org/simple", "six"]
    )
    assert other.returncode != 0 and "tunnel error" in other.stderr, other.stderr

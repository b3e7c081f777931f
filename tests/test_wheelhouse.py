"""The wheelhouse holds every PyPI file that the pipelines' committed lockfiles install.

tests/wheelhouse/uv.lock is the one list of files the stand-in for pypi.org serves (harness/pypi.py).
A lockfile that a pipeline installs with `--locked` (the sample project's, and this repository's
`site` group for the `pages` job) must find there each file it needs on Linux x86_64 with CPython
3.11-3.13; otherwise that pipeline fails on a 404 from "files.pythonhosted.org".
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from harness.collect import ROOT
from harness.wheelhouse import LOCK, PYPI_SIMPLE, PYTHONS, _installable, locked_dists
from packaging.markers import Marker

# The dependency groups this project's own `pages` job installs (`--only-group X` in .gitlab-ci.yml).
PAGES_GROUPS = tuple(re.findall(r"--only-group[= ](\S+)", (ROOT / ".gitlab-ci.yml").read_text()))
# (lockfile, the dependency groups whose packages pipelines install; None: every package)
LOCKFILES = [
    (ROOT / "tests" / "fixtures" / "sample-project" / "uv.lock", None),
    (ROOT / "uv.lock", PAGES_GROUPS),
]
ENVIRONMENTS = [
    {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": f"3.{v[1:]}",
        "python_full_version": f"3.{v[1:]}.0",
    }
    for v in PYTHONS
]


@pytest.fixture(autouse=True)
def _report(record_property):
    record_property("check", "wheelhouse")


def _applies(dependency: dict) -> bool:
    marker = dependency.get("marker")
    return marker is None or any(Marker(marker).evaluate(env) for env in ENVIRONMENTS)


def needed(lock: Path, groups: tuple[str, ...] | None) -> list[tuple[str, str, str]]:
    """(name, version, file URL) of each PyPI file a Linux x86_64 install of `lock` (or of its
    `groups`) uses."""
    packages = {p["name"]: p for p in tomllib.loads(lock.read_text())["package"]}
    if groups is None:
        wanted = set(packages)
    else:
        root = next(p for p in packages.values() if set(groups) <= set(p.get("dev-dependencies", {})))
        todo = [d["name"] for g in groups for d in root["dev-dependencies"][g] if _applies(d)]
        wanted = set()
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo += [d["name"] for d in packages[name].get("dependencies", []) if _applies(d)]
    found = []
    for name in sorted(wanted):
        package = packages[name]
        if package.get("source", {}).get("registry") != PYPI_SIMPLE:
            continue
        wheels = [w["url"] for w in package.get("wheels", []) if _installable(w["url"].rsplit("/", 1)[1])]
        files = wheels or ([package["sdist"]["url"]] if "sdist" in package else [])
        found += [(name, package["version"], url) for url in files]
    return found


@pytest.mark.parametrize(("lock", "groups"), LOCKFILES, ids=[str(p.relative_to(ROOT)) for p, _ in LOCKFILES])
def test_the_wheelhouse_holds_what_a_locked_install_needs(lock, groups):
    served = {d.url for d in locked_dists()}
    files = needed(lock, groups)
    assert files, f"{lock.relative_to(ROOT)}: no PyPI file found to check"
    missing = [f"{name} {version} ({url.rsplit('/', 1)[1]})" for name, version, url in files if url not in served]
    assert not missing, (
        f"{lock.relative_to(ROOT)}:1: these files are not in {LOCK.relative_to(ROOT)}, so a pipeline "
        f"installing them fails; add the packages (at these versions) to "
        f"{LOCK.parent.relative_to(ROOT)}/pyproject.toml and run `uv lock` there:\n  " + "\n  ".join(missing)
    )

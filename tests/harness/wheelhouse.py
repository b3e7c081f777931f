"""The wheelhouse: third-party wheels the pipelines install, fetched once from PyPI into `.tools/`.

The one list is tests/wheelhouse/uv.lock (a small uv project whose dependencies are the tools the
guide's examples install). On first use the files it locks for Linux x86_64 and CPython 3.11-3.13
are downloaded from their pypi.org URLs into the git-ignored `.tools/wheelhouse/`, under a file lock
so that parallel pytest workers wait for one fetch, each checked against the lock's sha256 before
it is kept. Later runs only look that the files are there. Nothing else ever reaches PyPI: during
runs the files are served on loopback by harness/pypi.py.
"""

from __future__ import annotations

import concurrent.futures
import functools
import fcntl
import hashlib
import re
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from .tools import ROOT, TOOLS, ToolError

LOCK = ROOT / "tests" / "wheelhouse" / "uv.lock"
FILES = TOOLS / "wheelhouse"
PYPI_SIMPLE = "https://pypi.org/simple"

# What the wheelhouse serves: wheels a CPython 3.11-3.13 on Linux x86_64 (glibc) can install.
PYTHONS = ("311", "312", "313")
PLATFORM = re.compile(r"^(any|linux_x86_64|manylinux\w*_x86_64)$")


@dataclass(frozen=True)
class Dist:
    """One distribution file of the wheelhouse, as uv.lock records it."""

    project: str  # canonical name
    filename: str
    url: str  # where pypi.org serves it (https://files.pythonhosted.org/packages/...)
    sha256: str
    size: int
    upload_time: str | None
    folder: Path = FILES  # where the file is kept

    @property
    def path(self) -> Path:
        return self.folder / self.filename


def _installable(filename: str) -> bool:
    """Whether a wheel installs on CPython 3.11, 3.12 or 3.13 on Linux x86_64."""
    _, _, _, tags = parse_wheel_filename(filename)
    for tag in tags:
        if not PLATFORM.match(tag.platform):
            continue
        if tag.interpreter in ("py3", "cp3") and tag.abi == "none":
            return True
        if tag.abi == "abi3" and tag.interpreter.startswith("cp3"):
            if int(tag.interpreter[3:] or 0) <= int(PYTHONS[-1][1:]):
                return True
        if tag.interpreter in {f"cp{v}" for v in PYTHONS} | {f"py{v}" for v in PYTHONS}:
            if tag.abi in ("none", "abi3", f"cp{tag.interpreter[2:]}"):
                return True
    return False


@functools.cache
def locked_dists(lock: Path = LOCK) -> list[Dist]:
    """The files of `lock` the wheelhouse holds: installable wheels, or the sdist when there is none."""
    data = tomllib.loads(lock.read_text())
    found = []
    for package in data.get("package", []):
        if package.get("source", {}).get("registry") != PYPI_SIMPLE:
            continue
        files = [w for w in package.get("wheels", []) if _installable(w["url"].rsplit("/", 1)[1])]
        if not files and "sdist" in package:
            files = [package["sdist"]]
        for f in files:
            algorithm, _, digest = f["hash"].partition(":")
            assert algorithm == "sha256", f"{lock}: {f['url']} has a {algorithm} hash"
            found.append(
                Dist(
                    project=canonicalize_name(package["name"]),
                    filename=f["url"].rsplit("/", 1)[1],
                    url=f["url"],
                    sha256=digest,
                    size=f["size"],
                    upload_time=f.get("upload-time"),
                )
            )
    return found


def _download(dist: Dist) -> None:
    part = dist.path.with_name(dist.filename + ".part")
    digest = hashlib.sha256()
    with urllib.request.urlopen(dist.url, timeout=120) as response, open(part, "wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != dist.sha256:
        part.unlink()
        raise ToolError(f"{dist.url}: sha256 {digest.hexdigest()} is not the {dist.sha256} of {LOCK}")
    part.replace(dist.path)


def _missing(dists: list[Dist]) -> list[Dist]:
    return [d for d in dists if not (d.path.is_file() and d.path.stat().st_size == d.size)]


def _stale(dists: list[Dist]) -> list[Path]:
    """Files of an earlier lock: the wheelhouse serves what the lock names and nothing else."""
    names = {d.filename for d in dists}
    return [p for p in FILES.iterdir() if p.name not in names] if FILES.is_dir() else []


def ensure_wheelhouse(progress=None) -> list[Dist]:
    """Fetch the files that are missing and drop stale ones (once, under a lock); return the
    wheelhouse's files."""
    progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    dists = locked_dists()
    if not _missing(dists) and not _stale(dists):
        return dists
    FILES.mkdir(parents=True, exist_ok=True)
    with open(TOOLS / ".wheelhouse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be fetching: wait for it
        for path in _stale(dists):
            path.unlink()
        missing = _missing(dists)
        if missing:
            size = sum(d.size for d in missing) / 1e6
            progress(
                f"fetching {len(missing)} files ({size:.0f} MB) locked in {LOCK.relative_to(ROOT)} "
                f"from pypi.org into {FILES.relative_to(ROOT)} (once) ..."
            )
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                errors = [f.exception() for f in [pool.submit(_download, d) for d in missing]]
            errors = [e for e in errors if e is not None]
            if errors:
                raise ToolError(f"the wheelhouse could not be fetched from pypi.org: {errors[0]}")
    return dists

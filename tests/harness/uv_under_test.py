"""The uv under test: the one uv every check runs, and the version every check compares with.

By default it is the pin (`uv==X.Y.Z` in pyproject.toml's `checker` group), which `uv run`
installs into .venv next to the interpreter running the suite. `uv run pytest --uv VERSION` (a
release number, or `latest`: the newest release the index lists) makes it another release: the
plugin (tests/pipeline-plugin) installs it from the index's wheel into the git-ignored
`.tools/uv/<version>/` once (one printed line, under a file lock, the index's sha256 checked) and
names it in the environment variables below, which pytest-xdist workers inherit, so every process
runs the same uv. docs/macros.py reads the version from the same variable, so the pages render for
it too.

`pinned` stays what the guide's files name until `--bump` moves them: snippets, fixtures and
.gitlab-ci.yml hold literals of it, which the versions check reports as drift when another uv is
under test.

The fixtures that are uv projects get their `uv_build` bounds from the uv under test when they are
copied for a run (`copy_project`): uv builds a project with its own backend, offline, only when the
bounds include its own version.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import html
import os
import re
import shutil
import sys
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .tools import ROOT, TOOLS, ToolError
from .wheelhouse import Dist

ENV_VERSION = "GUIDE_UV_VERSION"  # also read by docs/macros.py
ENV_BINARY = "GUIDE_UV_BINARY"
# What `--uv latest` means where no index can be asked: the suite's run of this project's scheduled
# job has no PyPI to ask (tests/effects/pages.py), and names the pin here instead.
ENV_LATEST = "GUIDE_UV_LATEST"
INDEX = "https://pypi.org/simple/uv/"
BUILD_INDEX = "https://pypi.org/simple/uv-build/"
INSTALLS = TOOLS / "uv"
VENV_UV = Path(sys.executable).with_name("uv")
# A uv_build requirement with both bounds, as `uv init` writes it.
UV_BUILD = re.compile(r"uv_build\s*>=\s*(?P<lower>\d+\.\d+(?:\.\d+)?)\s*,\s*<\s*(?P<upper>\d+\.\d+(?:\.\d+)?)")


def pinned() -> str:
    """The exact uv pin in pyproject.toml's checker group (docs/macros.py reads the same line)."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    for requirement in groups["checker"]:
        if m := re.fullmatch(r"uv==(\d+\.\d+\.\d+)", requirement):
            return m[1]
    raise LookupError("pyproject.toml: the checker group must pin uv exactly (uv==X.Y.Z)")


def minor_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def next_minor(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"{major}.{int(minor) + 1}"


@dataclass(frozen=True)
class UvUnderTest:
    version: str  # "X.Y.Z"
    binary: Path  # the `uv` executable; `uvx` is next to it
    pinned: str  # the pin in pyproject.toml: the version the guide's files name

    @property
    def minor(self) -> str:
        return minor_of(self.version)

    @property
    def looking_ahead(self) -> bool:
        """Whether another uv than the pin is under test (`--uv`): differences are drift."""
        return self.version != self.pinned

    @property
    def build_requires(self) -> str:
        """The build-system requirement of the fixture projects: uv's own backend, offline."""
        return f"uv_build>={self.version},<{next_minor(self.version)}"

    def with_build_bounds(self, text: str) -> str:
        """A pyproject.toml's text with its uv_build bounds set for this uv."""
        return UV_BUILD.sub(self.build_requires, text)


@functools.cache
def current() -> UvUnderTest:
    """The uv under test in this process: the one `--uv` named, or the pin."""
    pin = pinned()
    version = os.environ.get(ENV_VERSION) or pin
    binary = os.environ.get(ENV_BINARY)
    return UvUnderTest(version, Path(binary) if binary else VENV_UV, pin)


def activate(uv: UvUnderTest) -> None:
    """Make `uv` the uv under test of this process and of every process it starts."""
    os.environ[ENV_VERSION] = uv.version
    os.environ[ENV_BINARY] = str(uv.binary)
    current.cache_clear()


# --- the project fixtures ------------------------------------------------------------------------


def copy_project(src: Path, dest: Path, *, dirs_exist_ok: bool = False) -> Path:
    """A copy of a fixture project whose pyproject.toml files require uv_build for the uv under test."""
    ignore = shutil.ignore_patterns(".venv", "dist", "__pycache__", "*.egg-info")
    shutil.copytree(src, dest, ignore=ignore, dirs_exist_ok=dirs_exist_ok)
    uv = current()
    for pyproject in dest.rglob("pyproject.toml"):
        text = pyproject.read_text()
        if UV_BUILD.search(text):
            pyproject.write_text(uv.with_build_bounds(text))
    return dest


# --- another release, from the index -------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    filename: str
    url: str
    sha256: str

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.filename)[1])


def _fetch(url: str) -> bytes:
    """GET through the environment's proxies and CA settings (a job's stand-in for PyPI, too)."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (an https URL)
        return response.read()


def _linux_wheel(filename: str) -> bool:
    """A wheel for Linux x86_64 with glibc (the machine the checks run on)."""
    if not filename.endswith(".whl"):
        return False
    _, _, _, tags = parse_wheel_filename(filename)
    return any(re.fullmatch(r"manylinux\w*_x86_64", tag.platform) for tag in tags)


def index_wheels(index: str = INDEX) -> list[Wheel]:
    """The index's Linux x86_64 wheels of final releases (a PEP 503 page, `#sha256=` links); none
    when it has no such project."""
    try:
        page = _fetch(index).decode()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        url, _, fragment = html.unescape(href).partition("#")
        filename = url.rsplit("/", 1)[-1]
        digest = re.fullmatch(r"sha256=([0-9a-f]{64})", fragment)
        if digest and _linux_wheel(filename) and not parse_wheel_filename(filename)[1].is_prerelease:
            found.append(Wheel(filename, urllib.parse.urljoin(index, url), digest[1]))
    return found


def wheel_for(version: str, wheels: list[Wheel], index: str = INDEX) -> Wheel:
    found = [w for w in wheels if w.version == version]
    if not found:
        newest = max((Version(w.version) for w in wheels), default=None)
        raise ToolError(f"{version} has no Linux x86_64 wheel on {index} (the newest there is {newest})")
    return found[0]


def _installed(version: str) -> Path:
    return INSTALLS / version / "uv"


def _download(wheel: Wheel, folder: Path) -> Path:
    data = _fetch(wheel.url)
    digest = hashlib.sha256(data).hexdigest()
    if digest != wheel.sha256:
        raise ToolError(f"{wheel.url}: sha256 {digest} is not the {wheel.sha256} the index lists")
    (folder / wheel.filename).write_bytes(data)
    return folder / wheel.filename


def install(version: str, wheels: list[Wheel], progress) -> Path:
    """uv `version` from its wheel into .tools/uv/<version>/ (once, under a lock); its `uv`.

    The folder also keeps that wheel and uv_build's of the same version when there is one, which
    the stand-in for PyPI serves to jobs (`served`)."""
    binary = _installed(version)
    if binary.exists():
        return binary
    INSTALLS.mkdir(parents=True, exist_ok=True)
    with open(INSTALLS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing: wait for it
        if binary.exists():
            return binary
        wheel = wheel_for(version, wheels)
        # Not every uv release has a uv_build release of the same version.
        backend = next((w for w in index_wheels(BUILD_INDEX) if w.version == version), None)
        also = f" and uv_build {version}" if backend else f" (uv_build {version} is not on {BUILD_INDEX})"
        where = binary.parent.relative_to(ROOT)
        progress(f"installing uv {version}{also} from {INDEX} into {where} (once) ...")
        with tempfile.TemporaryDirectory(dir=INSTALLS) as tmp:
            folder = Path(tmp) / version
            folder.mkdir()
            with zipfile.ZipFile(_download(wheel, folder)) as archive:
                for name in ("uv", "uvx"):
                    (folder / name).write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                    (folder / name).chmod(0o755)
            if backend:
                _download(backend, folder)
            folder.rename(binary.parent)
    return binary


@functools.cache
def _wheel_dist(path: Path) -> Dist:
    return Dist(
        project=str(parse_wheel_filename(path.name)[0]),
        filename=path.name,
        url=f"https://files.pythonhosted.org/packages/uv-under-test/{path.name}",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        size=path.stat().st_size,
        upload_time=None,
        folder=path.parent,
    )


def served(dists: list[Dist]) -> list[Dist]:
    """The wheelhouse as the stand-in for PyPI serves it. With another uv under test, its uv and
    uv_build wheels are there too, as on PyPI: a project whose uv_build bounds are that uv's
    builds with that backend when a tool installs the pin's uv from PyPI (tox-uv, pre-commit-uv
    take the newest uv, as they would from PyPI)."""
    uv = current()
    if not uv.looking_ahead:
        return dists
    return dists + [_wheel_dist(path) for path in sorted(uv.binary.parent.glob("*.whl"))]


def resolve(spec: str, progress=None) -> UvUnderTest:
    """The uv `--uv spec` names, installed if it is not the pin; `latest` asks the index."""
    progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    pin = pinned()
    wheels = None
    if spec == "latest" and os.environ.get(ENV_LATEST):
        version = os.environ[ENV_LATEST]
        progress(f"uv under test: {version}, which {ENV_LATEST} names as the newest (no index is asked)")
    elif spec == "latest":
        wheels = index_wheels()
        if not wheels:
            raise ToolError(f"{INDEX} lists no Linux x86_64 uv wheel")
        version = str(max(Version(w.version) for w in wheels))
        progress(f"uv under test: {version}, the newest release {INDEX} lists")
    else:
        try:
            version = str(Version(spec))
        except InvalidVersion:
            raise ToolError(f"--uv {spec}: expected a uv release such as 1.2.3, or `latest`") from None
        if not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise ToolError(f"--uv {spec}: expected a uv release such as 1.2.3, or `latest`")
    if version == pin:
        return UvUnderTest(version, VENV_UV, pin)
    if not _installed(version).exists():
        install(version, wheels if wheels is not None else index_wheels(), progress)
    return UvUnderTest(version, _installed(version), pin)

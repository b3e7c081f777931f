"""An isolated place to run uv and example scripts without touching the machine.

Everything a run could write lives under one temp dir: HOME, TMPDIR, the XDG dirs, uv's cache,
tool and Python dirs. The environment is built from nothing (no inherited proxies, tokens or
config). The Pythons on PATH are non-venv copies made inside the sandbox, so
`uv pip install --system` / `UV_SYSTEM_PYTHON` change a copy, never the machine's Python:
- python/ is this interpreter's version, as `python3`, `python` and `python3.X`;
- the other versions the guide's pipelines ask for (GUIDE_PYTHONS) are `python3.X` only, links to
  copies under pythons/ made from base interpreters found on the machine (pyenv's, or `python3.X`
  on PATH). A version the machine lacks gets a `python3.X` that fails saying so, so a pipeline that
  asks for it fails with that message;
- image-python/3.X/ has `python3` and `python` of version 3.X: what an image with that Python has
  first on PATH (the runner uses it for jobs whose image picks their Python).
Unless a test names a registry (whose stand-in for pypi.org then becomes the proxy), every proxy
variable is a closed loopback port: a request for a package (from pypi.org, uv's default index)
fails at once instead of leaving the machine.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from .uv_under_test import current

# Nothing listens on port 9 (discard) here: index requests are refused without leaving loopback.
CLOSED_INDEX = "http://127.0.0.1:9/simple"
CLOSED_PROXY = "http://127.0.0.1:9"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
LOOPBACK = "127.0.0.1,localhost,::1"
PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


# The Python versions the guide's pipelines ask for (test matrices, `--python 3.13`).
GUIDE_PYTHONS = ("3.11", "3.12", "3.13")
# Asked of a candidate interpreter: is it a base (non-venv) Python, and where is its stdlib?
_QUERY = (
    "import json, sys, sysconfig; "
    "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'venv': sys.prefix != sys.base_prefix, "
    "'base': sys.base_prefix, 'stdlib': sysconfig.get_paths()['stdlib']}))"
)


@dataclass(frozen=True)
class BasePython:
    version: str  # "3.12"
    base: Path  # its sys.base_prefix
    stdlib: Path


def _pyenv_versions() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def _candidates(version: str) -> list[Path]:
    """Executables that may be a base Python `version`: pyenv's (newest patch first), then PATH's."""
    pyenv = _pyenv_versions()
    found = [p for p in pyenv.glob(f"{version}.*") if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)]
    found.sort(key=lambda p: int(p.name.rsplit(".", 1)[1]), reverse=True)
    on_path = shutil.which(f"python{version}")
    return [p / "bin" / f"python{version}" for p in found] + ([Path(on_path)] if on_path else [])


@functools.cache
def base_python(version: str) -> BasePython | str:
    """The machine's base interpreter for `version`, or why there is none (found once per process)."""
    if version == PY_VERSION:
        base = Path(sys.base_prefix)
        paths = sysconfig.get_paths(vars={"base": str(base), "platbase": str(base)})
        return BasePython(version, base, Path(paths["stdlib"]))
    tried = []
    for exe in _candidates(version):
        try:
            out = subprocess.run([exe, "-I", "-c", _QUERY], capture_output=True, text=True, timeout=30)
            facts = json.loads(out.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            tried.append(f"{exe} (does not run)")
            continue
        if facts["version"] != version or facts["venv"]:
            tried.append(f"{exe} (Python {facts['version']}{', a venv' if facts['venv'] else ''})")
            continue
        return BasePython(version, Path(facts["base"]), Path(facts["stdlib"]))
    pyenv = _pyenv_versions() / f"{version}.*"
    return f"this machine has no base Python {version} (looked for {pyenv} and python{version} on PATH" + (
        f"; tried {', '.join(tried)})" if tried else ")"
    )


@functools.cache
def python_template(where: Path, version: str = PY_VERSION) -> Path | str:
    """A relocatable, non-venv copy of the base Python `version` (made once per process), or why
    there is none. Only this interpreter's copy has `python3` and `python`; others are `python3.X`."""
    found = base_python(version)
    if isinstance(found, str):
        return found
    dest = where / f"python{version}"
    if dest.exists():
        return dest
    (dest / "bin").mkdir(parents=True)
    exe = found.base / "bin" / f"python{version}"
    shutil.copy2(exe, dest / "bin" / exe.name)
    if version == PY_VERSION:
        for name in ("python3", "python"):
            (dest / "bin" / name).symlink_to(exe.name)
    stdlib = found.stdlib
    skip = shutil.ignore_patterns(
        "site-packages", "__pycache__", "test", "tests", "idlelib", "tkinter", "turtledemo", "*.a"
    )
    shutil.copytree(stdlib, dest / "lib" / stdlib.name, ignore=skip, symlinks=True)
    (dest / "lib" / stdlib.name / "site-packages").mkdir()
    for lib in (found.base / "lib").glob(f"libpython{version}*.so*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=False)
    return dest


def _missing_python(path: Path, version: str, why: str) -> None:
    """A `python3.X` that fails saying why: a pipeline asking for that version fails with this."""
    message = f"python{version}: the sandbox cannot provide it: {why}"
    path.write_text(f"#!/bin/sh\necho {shlex.quote(message)} >&2\nexit 1\n")
    path.chmod(0o755)


@dataclass
class Sandbox:
    """A temp dir with its own HOME, caches and Python, and the environment to run things in it."""

    root: Path
    env: dict[str, str]
    missing_pythons: dict[str, str] = field(default_factory=dict)  # version -> why it is not there

    @property
    def python(self) -> Path:
        """The sandbox's `python3` (this interpreter's version)."""
        return self.root / "python" / "bin" / "python3"

    def image_python(self, version: str) -> Path | None:
        """A directory whose `python3` and `python` are `version`, as in an image with that Python."""
        path = self.root / "image-python" / version
        return path if path.is_dir() else None

    def run(
        self,
        args: str | list[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command (a string runs in bash) and capture its output; never raises on failure."""
        if isinstance(args, str):
            args = ["bash", "-c", args]
        return subprocess.run(
            args,
            cwd=cwd or self.root / "work",
            env={**self.env, **(env or {})},
            text=True,
            capture_output=True,
            timeout=timeout,
            input=input,
        )


def make_sandbox(root: Path, templates: Path) -> Sandbox:
    """Lay out a sandbox in `root`; `templates` holds the per-session Python copies."""
    dirs = {
        name: root / name
        for name in ("home", "tmp", "work", "bin", "xdg-config", "xdg-data", "xdg-cache", "xdg-state", "xdg-bin")
    }
    dirs.update(cache=root / "uv-cache", pythons=root / "uv-pythons", tools=root / "uv-tools")
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    # Hard links: a fresh tree per sandbox at the cost of a directory walk. Other versions get their
    # own prefix under pythons/ (python/lib keeps one stdlib) and a `python3.X` link in python/bin.
    missing = {}
    others = []
    for version in GUIDE_PYTHONS:
        template = python_template(templates, version)
        if isinstance(template, str):
            missing[version] = template
        elif version != PY_VERSION:
            others.append(template)
    subprocess.run(["cp", "-al", str(python_template(templates)), str(root / "python")], check=True)
    if others:
        (root / "pythons").mkdir()
        subprocess.run(["cp", "-al", *map(str, others), str(root / "pythons")], check=True)
    for template in others:
        exe = root / "pythons" / template.name / "bin" / template.name
        (root / "python" / "bin" / template.name).symlink_to(exe)
    for version, why in missing.items():
        _missing_python(root / "python" / "bin" / f"python{version}", version, why)
    # What a job image with Python 3.X has first on PATH (the runner puts it there for such jobs).
    for version in dict.fromkeys((PY_VERSION, *GUIDE_PYTHONS)):
        if version not in missing:
            image = root / "image-python" / version
            image.mkdir(parents=True)
            for name in ("python", "python3", f"python{version}"):
                (image / name).symlink_to(root / "python" / "bin" / f"python{version}")
    for tool in ("uv", "uvx"):  # the uv under test: the pin, or the release `--uv` names
        (dirs["bin"] / tool).symlink_to(current().binary.with_name(tool))
    env = {
        "PATH": os.pathsep.join([str(dirs["bin"]), str(root / "python" / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(dirs["home"]),
        "TMPDIR": str(dirs["tmp"]),
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(dirs["xdg-config"]),
        "XDG_DATA_HOME": str(dirs["xdg-data"]),
        "XDG_CACHE_HOME": str(dirs["xdg-cache"]),
        "XDG_STATE_HOME": str(dirs["xdg-state"]),
        "XDG_BIN_HOME": str(dirs["xdg-bin"]),
        "GIT_CONFIG_NOSYSTEM": "1",
        "UV_CACHE_DIR": str(dirs["cache"]),
        "UV_PYTHON_INSTALL_DIR": str(dirs["pythons"]),
        "UV_TOOL_DIR": str(dirs["tools"]),
        "UV_TOOL_BIN_DIR": str(dirs["xdg-bin"]),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_HTTP_RETRIES": "0",
        "NO_COLOR": "1",
        # pypi.org (uv's and pip's default index) and every other host only through a proxy on the
        # closed port, unless a run names the registry's stand-in for PyPI (harness/pypi.py). uv's
        # default index stays pypi.org, so that a lockfile from PyPI is up to date (another default
        # index would make uv resolve it again).
        **{name: CLOSED_PROXY for name in PROXY_VARIABLES},
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
    }
    return Sandbox(root, env, missing)

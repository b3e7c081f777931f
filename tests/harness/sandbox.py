"""An isolated place to run uv and example scripts without touching the machine.

Everything a run could write lives under one temp dir: HOME, TMPDIR, the XDG dirs, uv's cache,
tool and Python dirs. The environment is built from nothing (no inherited proxies, tokens or
config). The only Python on PATH is a non-venv copy of this interpreter made inside the sandbox,
so `uv pip install --system` / `UV_SYSTEM_PYTHON` change the copy, never the machine's Python.
Unless a test names a registry, uv's default index is a closed loopback port: a request for a
package fails at once instead of leaving the machine.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

# The pinned uv: installed into this project's environment next to the interpreter running us.
UV = Path(sys.executable).with_name("uv")
# Nothing listens on port 9 (discard) here: index requests are refused without leaving loopback.
CLOSED_INDEX = "http://127.0.0.1:9/simple"
PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


@functools.cache
def python_template(where: Path) -> Path:
    """A relocatable, non-venv copy of this interpreter's base Python (made once per process)."""
    base = Path(sys.base_prefix)
    dest = where / f"python{PY_VERSION}"
    if dest.exists():
        return dest
    (dest / "bin").mkdir(parents=True)
    exe = base / "bin" / f"python{PY_VERSION}"
    shutil.copy2(exe, dest / "bin" / exe.name)
    for name in ("python3", "python"):
        (dest / "bin" / name).symlink_to(exe.name)
    stdlib = Path(sysconfig.get_paths(vars={"base": str(base), "platbase": str(base)})["stdlib"])
    skip = shutil.ignore_patterns("site-packages", "__pycache__", "test", "tests", "idlelib", "tkinter", "turtledemo")
    shutil.copytree(stdlib, dest / "lib" / stdlib.name, ignore=skip, symlinks=True)
    (dest / "lib" / stdlib.name / "site-packages").mkdir()
    for lib in (base / "lib").glob("libpython*.so*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=False)
    return dest


@dataclass
class Sandbox:
    """A temp dir with its own HOME, caches and Python, and the environment to run things in it."""

    root: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.root / "python" / "bin" / "python3"

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
    """Lay out a sandbox in `root`; `templates` holds the per-session Python copy."""
    dirs = {
        name: root / name
        for name in ("home", "tmp", "work", "bin", "xdg-config", "xdg-data", "xdg-cache", "xdg-state", "xdg-bin")
    }
    dirs.update(cache=root / "uv-cache", pythons=root / "uv-pythons", tools=root / "uv-tools")
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    # Hard links: a fresh tree per sandbox at the cost of a directory walk.
    subprocess.run(["cp", "-al", str(python_template(templates)), str(root / "python")], check=True)
    for tool in ("uv", "uvx"):
        (dirs["bin"] / tool).symlink_to(UV.with_name(tool))
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
        "UV_DEFAULT_INDEX": CLOSED_INDEX,
        "PIP_INDEX_URL": CLOSED_INDEX,
        "NO_COLOR": "1",
    }
    return Sandbox(root, env)

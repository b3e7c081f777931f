"""Benchmark behind docs/environments.md (not part of `uv run pytest`):

    uv run python tests/benchmark_environments.py [--runs N]

What a GitLab job spends on its environment, with the pinned uv, on the sample project given a
development group like a real project's (DEV_GROUP, in a temp copy of the project). Their wheels
are fetched from PyPI once, into the temp dir, and served by a local index on loopback
(harness/registry.py), so that the figures measure uv and the disk, not the network. Everything,
HOME and uv's caches included, lives in one temp dir (harness/sandbox.py) that is removed at the end.

Each case is run N times; the script prints medians (and the range) in seconds:
- `uv sync --locked` with no uv cache, a full uv cache, a cache after `uv cache prune --ci`, and a
  `.venv` left by an earlier job (at the same path, and moved to another project directory);
  each without and with UV_COMPILE_BYTECODE=1;
- the first test run after the sync (`python -m pytest`), which compiles what it imports when the
  sync did not;
- the size of `.venv` and of the uv cache, and the time to zip them (deflate) and unzip them, the
  work GitLab does to save and restore a cache before it transfers it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness.registry import start_registry  # noqa: E402
from harness.runner import SAMPLE_PROJECT  # noqa: E402
from harness.sandbox import Sandbox, make_sandbox  # noqa: E402
from harness.uv_under_test import copy_project  # noqa: E402

DEV_GROUP = ["pytest==9.2.0", "ruff==0.17.6", "mypy==2.4.1"]
PYPI = "https://pypi.org/simple"


def fetch_wheels(sandbox: Sandbox, dest: Path) -> list[Path]:
    """The dev group's wheels and their dependencies for the sandbox's Python, from PyPI."""
    result = sandbox.run(
        ["uv", "tool", "run", "--from", "pip", "pip", "download", "--only-binary", ":all:", "--dest", str(dest)]
        + DEV_GROUP,
        # The machine's TLS settings (some networks present their own CA), for this download only.
        env={"UV_DEFAULT_INDEX": PYPI, "PIP_INDEX_URL": PYPI, **_tls_settings()},
        timeout=600,
    )
    if result.returncode:
        sys.exit(f"fetching wheels from PyPI failed:\n{result.stdout}{result.stderr}")
    return sorted(dest.glob("*.whl"))


def _tls_settings() -> dict[str, str]:
    names = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "HTTPS_PROXY", "https_proxy")
    return {name: os.environ[name] for name in names if name in os.environ}


def make_project(where: Path, sandbox: Sandbox, env: dict[str, str]) -> Path:
    """A copy of the sample project with DEV_GROUP as its `dev` group, locked against the local index."""
    project = where / "project"
    copy_project(SAMPLE_PROJECT, project)
    pyproject = project / "pyproject.toml"
    group = ", ".join(f'"{r}"' for r in DEV_GROUP)
    # The local index has the wheels for this Python on Linux only: resolve for that environment.
    only_here = f"sys_platform == 'linux' and python_version == '{sys.version_info[0]}.{sys.version_info[1]}'"
    pyproject.write_text(
        pyproject.read_text()
        + f'\n[dependency-groups]\ndev = [{group}]\n\n[tool.uv]\nenvironments = ["{only_here}"]\n'
    )
    locked = sandbox.run(["uv", "lock"], cwd=project, env=env)
    if locked.returncode:
        sys.exit(f"uv lock failed:\n{locked.stderr}")
    return project


def timed(sandbox: Sandbox, args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = sandbox.run(args, cwd=cwd, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"{' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return elapsed


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def zip_roundtrip(path: Path, scratch: Path) -> tuple[float, float, float]:
    """Seconds to zip `path` (deflate) and to unzip it again, and the archive's size in MB."""
    archive = scratch / "cache.zip"
    start = time.perf_counter()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(path.rglob("*")):
            z.write(f, f.relative_to(path.parent))
    zipped = time.perf_counter() - start
    archive_mb = archive.stat().st_size / 1e6
    start = time.perf_counter()
    with zipfile.ZipFile(archive) as z:
        z.extractall(scratch / "restored")
    unzipped = time.perf_counter() - start
    shutil.rmtree(scratch / "restored")
    archive.unlink()
    return zipped, unzipped, archive_mb


def report(label: str, values: list[float]) -> None:
    print(f"  {label:<58} {statistics.median(values):6.2f} s  ({min(values):.2f}-{max(values):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    runs = parser.parse_args().runs
    root = Path(tempfile.mkdtemp(prefix="benchmark-environments-"))
    try:
        sandbox = make_sandbox(root / "sandbox", root / "templates")
        wheels = fetch_wheels(sandbox, root / "wheels")
        with start_registry(root / "registry") as registry:
            for wheel in wheels:
                registry.add_public_package(wheel)
            base = {"UV_DEFAULT_INDEX": registry.public_index_url, "UV_LINK_MODE": "copy"}
            project = make_project(root, sandbox, base)
            measure(sandbox, project, root, base, runs, wheels)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(sandbox: Sandbox, project: Path, root: Path, base: dict[str, str], runs: int, wheels: list[Path]) -> None:
    uv, sync, test = "uv", ["uv", "sync", "--locked"], ["uv", "run", "--no-sync", "python", "-m", "pytest", "-q"]
    venv = project / ".venv"
    full_cache, pruned_cache = root / "cache-full", root / "cache-pruned"
    print(f"uv {sandbox.run([uv, '--version']).stdout.split()[1]}, Python {sys.version.split()[0]}, "
          f"dev group {' '.join(DEV_GROUP)} ({len(wheels)} wheels, {sum(w.stat().st_size for w in wheels) / 1e6:.1f} MB, "
          f"from a loopback index), {runs} runs per case")
    print(f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f} (other work skews the figures)")
    timed(sandbox, sync, project, {**base, "UV_CACHE_DIR": str(full_cache)})  # fills the full cache
    shutil.copytree(full_cache, pruned_cache, symlinks=True)
    timed(sandbox, [uv, "cache", "prune", "--ci"], project, {**base, "UV_CACHE_DIR": str(pruned_cache)})
    sizes: dict[str, float] = {"uv cache": size_mb(full_cache), "uv cache after prune --ci": size_mb(pruned_cache)}

    for bytecode in ("0", "1"):
        env = {**base, "UV_COMPILE_BYTECODE": bytecode}
        print(f"\nUV_COMPILE_BYTECODE={bytecode}")
        cases = {"no uv cache, no .venv": None, "full uv cache, no .venv": full_cache,
                 "uv cache after `uv cache prune --ci`, no .venv": pruned_cache}
        for label, cache in cases.items():
            syncs, tests = [], []
            for i in range(runs):
                shutil.rmtree(venv, ignore_errors=True)
                cache_dir = cache if cache else root / f"cache-empty-{bytecode}-{i}"
                if cache is pruned_cache:  # every run starts from the pruned cache, as a restored one would
                    cache_dir = root / f"cache-pruned-{bytecode}-{i}"
                    shutil.copytree(pruned_cache, cache_dir, symlinks=True)
                run_env = {**env, "UV_CACHE_DIR": str(cache_dir)}
                syncs.append(timed(sandbox, sync, project, run_env))
                tests.append(timed(sandbox, test, project, run_env))
                if cache_dir != cache:
                    shutil.rmtree(cache_dir)
            report(f"uv sync: {label}", syncs)
            report("  then the first test run", tests)
        # A .venv restored from a cache: up to date, at the same path or another project directory.
        run_env = {**env, "UV_CACHE_DIR": str(full_cache)}
        shutil.rmtree(venv, ignore_errors=True)
        timed(sandbox, sync, project, run_env)
        sizes[f".venv (UV_COMPILE_BYTECODE={bytecode})"] = size_mb(venv)
        report("uv sync: .venv from an earlier job, same path", [timed(sandbox, sync, project, run_env) for _ in range(runs)])
        report("  then a test run", [timed(sandbox, test, project, run_env) for _ in range(runs)])
        frozen = ["uv", "sync", "--frozen"]
        report("uv sync --frozen: .venv from an earlier job, same path",
               [timed(sandbox, frozen, project, run_env) for _ in range(runs)])
        moved = []
        for i in range(runs):
            other = root / f"moved-{bytecode}-{i}"
            shutil.copytree(project, other, symlinks=True)
            moved.append(timed(sandbox, sync, other, run_env))
            shutil.rmtree(other)
        report("uv sync: .venv from an earlier job, other project directory", moved)

    print("\nGitLab's side of a cache: size, zip (deflate) and unzip, before any transfer")
    scratch = root / "zip"
    scratch.mkdir()
    paths = {"uv cache": full_cache, "uv cache after prune --ci": pruned_cache,
             ".venv (UV_COMPILE_BYTECODE=1)": venv}
    for label, path in paths.items():
        rounds = [zip_roundtrip(path, scratch) for _ in range(runs)]
        print(f"  {label:<32} {sizes[label]:7.1f} MB ({rounds[0][2]:.1f} MB zipped)"
              f"  zip {statistics.median(r[0] for r in rounds):5.2f} s"
              f"  unzip {statistics.median(r[1] for r in rounds):5.2f} s")
    print(f"  {'.venv (UV_COMPILE_BYTECODE=0)':<32} {sizes['.venv (UV_COMPILE_BYTECODE=0)']:7.1f} MB")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

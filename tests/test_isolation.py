"""A pipeline run stays in its sandbox: only loopback network, no writes outside, nothing left running.

The proof is an audit: the whole run (gitlab-ci-local, bash, uv, git, rsync) under
`strace -f -y`, which names every connect and every file written, with directory fds resolved.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness.collect import ROOT
from harness.runner import run_pipeline

PIPELINES = ROOT / "tests" / "fixtures" / "pipelines"
WRITE_CALLS = ",".join(
    "openat creat mkdir mkdirat rename renameat renameat2 unlink unlinkat".split()
    + "symlink symlinkat link linkat rmdir truncate".split()
)
TRACED = "connect," + WRITE_CALLS
WRITE_CALL = re.compile(rf"^({WRITE_CALLS.replace(',', '|')})\(")
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
# Outside the sandbox a run may write only to these.
ALLOWED_WRITES = ("/dev/null", "/dev/tty")
LOOPBACK = re.compile(
    r"sa_family=AF_(UNIX|UNSPEC|NETLINK)"
    r'|inet_addr\("127\.'
    r'|inet_pton\(AF_INET6, "(::1|::ffff:127\.)'
)


@pytest.fixture(autouse=True)
def _report(record_property, gitlab_ci_local):
    record_property("check", "isolation")


@pytest.fixture
def strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.fail(
            "strace not found: the isolation audit needs it (`apt-get install strace`; .ci/run installs it)"
        )
    return path


def traced_run(name: str, sandbox, registry, strace: str, **kwargs):
    """Run a fixture pipeline under strace; return the run and the trace lines of every process."""
    out = sandbox.root.parent / "trace"
    out.mkdir()
    wrapper = [strace, "-f", "-ff", "-y", "-qq", "-s", "256", "-o", str(out / "t"), "-e", f"trace={TRACED}"]
    run = run_pipeline(PIPELINES / f"{name}.yml", sandbox, registry, wrapper=wrapper, **kwargs)
    lines = [line for f in sorted(out.iterdir()) for line in f.read_text(errors="replace").splitlines()]
    assert any(line.startswith("connect(") or WRITE_CALL.match(line) for line in lines), (
        "strace recorded nothing"
    )
    return run, lines


def outside_connects(lines: list[str]) -> list[str]:
    return sorted({line for line in lines if line.startswith("connect(") and not LOOPBACK.search(line)})


def outside_writes(lines: list[str], root: Path) -> list[str]:
    """Successful writes whose path (or resolved directory fd) is outside `root`."""
    found = set()
    for line in lines:
        if not WRITE_CALL.match(line) or re.search(r"\) = -1 ", line):
            continue
        if line.startswith(("openat(", "creat(")) and not (
            line.startswith("creat(") or WRITE_FLAGS.search(line)
        ):
            continue
        args = line.split(") = ")[0]
        paths = re.findall(r'"(/[^"]*)"', args) + re.findall(r"<(/[^>]*)>", args)
        for path in paths:
            if not path.startswith(str(root)) and path not in ALLOWED_WRITES:
                found.add(line)
    return sorted(found)


def test_a_pipeline_connects_only_to_loopback_and_writes_only_in_its_sandbox(sandbox, registry, strace):
    run, lines = traced_run("publish", sandbox, registry, strace, tag="v1.2.3")
    assert run.ok, run.failure()
    assert len(registry.files()) == 4, "the traced run must really publish"
    assert any(f"htons({registry.port})" in line for line in lines), (
        "the trace must show the upload's connect"
    )
    assert outside_connects(lines) == []
    assert outside_writes(lines, sandbox.root) == []


def test_pypi_is_the_wheelhouse_on_loopback_and_other_hosts_are_refused(sandbox, registry, strace):
    start = time.monotonic()
    run, lines = traced_run("public-index", sandbox, registry, strace)
    assert time.monotonic() - start < 30
    assert run.jobs["pypi"].status == "passed", run.failure()
    assert "+ pytest==" in run.jobs["pypi"].log
    assert ("files.pythonhosted.org", "CONNECT", "files.pythonhosted.org:443", "200") in registry.pypi.requests
    refused = run.jobs["other-host"]
    assert refused.status == "failed"
    assert "tunnel error: unsuccessful" in refused.log and "example.org" in refused.log, refused.log
    assert ("example.org", "CONNECT", "example.org:443", "403") in registry.pypi.requests
    assert outside_connects(lines) == []
    assert any(f"htons({registry.pypi.port})" in line for line in lines), "no request went to the proxy"


def test_system_python_is_the_sandbox_copy(sandbox, registry):
    run = run_pipeline(PIPELINES / "system-python.yml", sandbox, registry)
    assert run.ok, run.failure()
    (prefix,) = re.findall(r"^prefix (.+)$", run.jobs["install"].log, re.M)
    assert Path(prefix) == sandbox.root / "python"
    real = subprocess.run(
        [
            Path(sys.base_prefix) / "bin" / "python3",
            "-c",
            "import importlib.util as u; print(u.find_spec('sample_lib'))",
        ],
        capture_output=True,
        text=True,
    )
    assert real.stdout.strip() == "None", "sample_lib reached the machine's Python"


def _checkout_state() -> set[str]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {
        line for line in status if not re.match(r"^.. (\.tools|\.venv)/", line) and "__pycache__" not in line
    }


def _tree_state(path: Path, depth: int = 2) -> set[tuple[str, int]]:
    """Entries of `path` down to `depth` levels with their modification times."""
    if not path.exists():
        return set()
    found = set()
    for entry in [path, *path.iterdir()] if depth else [path]:
        try:
            found.add((str(entry), entry.stat().st_mtime_ns))
        except OSError:
            continue
        if depth > 1 and entry != path and entry.is_dir():
            found |= _tree_state(entry, depth - 1)
    return found


def test_checkout_home_and_uv_cache_are_untouched(sandbox, registry):
    home = Path(os.path.expanduser("~"))
    before = _checkout_state(), _tree_state(home / ".cache" / "uv"), _tree_state(home, 1)
    run = run_pipeline(PIPELINES / "publish.yml", sandbox, registry, tag="v1.2.3")
    assert run.ok, run.failure()
    after = _checkout_state(), _tree_state(home / ".cache" / "uv"), _tree_state(home, 1)
    assert after[0] == before[0], f"the checkout changed: {sorted(after[0] ^ before[0])}"
    assert after[1] == before[1], f"the real uv cache changed: {sorted(after[1] ^ before[1])[:10]}"
    assert after[2] == before[2], f"HOME changed: {sorted(after[2] ^ before[2])}"


def test_no_process_outlives_a_run(sandbox, registry):
    run = run_pipeline(PIPELINES / "publish.yml", sandbox, registry, tag="v1.2.3")
    assert run.ok, run.failure()
    left = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(sandbox.root).encode() in (proc / "environ").read_bytes():
                    left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    assert left == []


def test_the_audit_sees_a_write_outside_the_sandbox(sandbox, registry, strace):
    target = sandbox.root.parent / "outside.txt"  # outside the sandbox, still inside pytest's tmp dir
    run, lines = traced_run("leak", sandbox, registry, strace, variables={"LEAK_TARGET": str(target)})
    assert run.ok, run.failure()
    leaks = outside_writes(lines, sandbox.root)
    assert leaks and all(str(target) in line for line in leaks), leaks


def test_the_audit_flags_connects_beyond_loopback():
    lines = [
        "connect(3<socket:[1]>, {sa_family=AF_INET, sin_port=htons(443), "
        'sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        "connect(3<socket:[2]>, {sa_family=AF_INET6, sin6_port=htons(443), "
        'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr)}, 28) = 0',
        "connect(3<socket:[3]>, {sa_family=AF_INET, sin_port=htons(9), "
        'sin_addr=inet_addr("127.0.0.1")}, 16) = -1',
        'connect(3<socket:[4]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
    ]
    assert outside_connects(lines) == sorted(lines[:2])

"""Benchmark of the static layer (not part of `uv run pytest`): `uv run python tests/benchmark_static.py`.

Prints medians for the site's own examples:
- YAML: load, load + schema + semantics, and all five YAML checks, per block, in-process;
  against `check-jsonschema` as one CLI process per file (what a pre-commit style check costs).
- Shell: ShellCheck in one process for every script against one process per script; `bash -n`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness import gitlab, shell  # noqa: E402
from harness.collect import examples  # noqa: E402


def median_seconds(fn, repeat: int = 7, number: int = 1) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs)


def yaml_figures() -> None:
    blocks = [e for lang in ("yaml", "yml") for e in examples(lang)]
    first = median_seconds(lambda: gitlab.check_all(blocks), repeat=1)

    def load_only():
        for e in blocks:
            gitlab.load(e.source)

    def load_schema_semantics():
        for e in blocks:
            data = gitlab.load(e.source)
            pipeline = gitlab.Pipeline(data, fragment="fragment" in e.markers)
            gitlab.schema_findings(data, templates=sorted(pipeline.extended & set(pipeline.hidden)))
            gitlab.semantic_findings(pipeline)

    per_block = {
        "load": median_seconds(load_only, number=20) / len(blocks),
        "load+schema+semantics": median_seconds(load_schema_semantics, number=20) / len(blocks),
        "all five YAML checks": median_seconds(lambda: gitlab.check_all(blocks), number=20) / len(blocks),
    }
    cli = Path(sys.executable).with_name("check-jsonschema")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, e in enumerate(blocks[:10]):
            files.append(Path(tmp) / f"{i}.yml")
            files[-1].write_text(e.source)
        args = [str(cli), "--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]
        per_file_cli = median_seconds(
            lambda: [subprocess.run([*args, str(f)], capture_output=True) for f in files], repeat=3
        ) / len(files)
    print(f"YAML: {len(blocks)} blocks; first call (validators, uv name scan) {first * 1e3:.0f} ms")
    for label, seconds in per_block.items():
        print(f"  {label}: {seconds * 1e3:.3f} ms per block (median)")
    ratio = per_file_cli / per_block["load+schema+semantics"]
    print(f"  check-jsonschema CLI, one process per file: {per_file_cli * 1e3:.0f} ms per file ({ratio:,.0f}x)")


def shell_figures() -> None:
    blocks = shell.site_examples()
    scripts = [s for e in blocks for s in shell.extract(e)[0]]
    with tempfile.TemporaryDirectory() as tmp:
        one = median_seconds(lambda: shell.shellcheck(scripts, Path(tmp)))
        each = median_seconds(lambda: shell.shellcheck(scripts, Path(tmp), one_process=False))
        parse = median_seconds(lambda: [shell.bash_n(s, Path(tmp)) for s in scripts])
    lines = sum(s.text.count("\n") for s in scripts)
    print(f"Shell: {len(blocks)} blocks, {len(scripts)} scripts, {lines} lines")
    print(f"  ShellCheck, one process for all: {one * 1e3:.0f} ms; one per script: {each * 1e3:.0f} ms ({each / one:.1f}x)")
    print(f"  bash -n, every script: {parse * 1e3:.0f} ms")


if __name__ == "__main__":
    yaml_figures()
    shell_figures()

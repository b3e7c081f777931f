"""Benchmark of the static layer (not part of `uv run pytest`): `uv run python tests/benchmark_static.py`.

Prints medians for the site's own examples:
- YAML: load, load + schema + semantics, and all five YAML checks, per block, in-process;
  against `check-jsonschema` as one CLI process per file (what a pre-commit style check costs).
- Shell: ShellCheck in one process for every script against one process per script; `bash -n`.
And for a reader's own file (`--pipeline`), on a generated pipeline of 1,000 lines:
- in-process: every check of `uv run pytest --pipeline FILE` after a first call (which builds the
  schema validator and reads the uv binary once), and the YAML checks alone;
- end to end: `uv run pytest --pipeline FILE` as a reader types it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness import gitlab, reader, shell  # noqa: E402
from harness.collect import ROOT, examples  # noqa: E402
from harness.uv_under_test import current  # noqa: E402


def median_seconds(fn, repeat: int = 7, number: int = 1) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs)


def cli_seconds_per_file(blocks) -> float:
    """check-jsonschema's CLI, one process per file for the first 10 of `blocks` (median of 3)."""
    cli = Path(sys.executable).with_name("check-jsonschema")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, e in enumerate(blocks[:10]):
            files.append(Path(tmp) / f"{i}.yml")
            files[-1].write_text(e.source)
        args = [str(cli), "--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]
        runs = median_seconds(lambda: [subprocess.run([*args, str(f)], capture_output=True) for f in files], repeat=3)
    return runs / len(files)


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
    per_file_cli = cli_seconds_per_file(blocks)
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


def thousand_line_pipeline() -> str:
    """A pipeline like a real project's: variables, default:, templates, rules, caches, needs, and
    jobs with scripts that differ (so no check can skip one as a repeat), about 1,000 lines."""
    head = [
        "stages: [lint, build, test, deploy]",
        "variables:",
        '  UV_VERSION: "0.13.9"',
        "  UV_CACHE_DIR: .uv-cache",
        "  UV_LINK_MODE: copy",
        "default:",
        "  image: ghcr.io/astral-sh/uv:$UV_VERSION-python3.12-trixie-slim",
        "  before_script:",
        "    - uv --version",
        ".uv-cache:",
        "  cache:",
        "    key:",
        "      files: [uv.lock]",
        "      prefix: uv-$UV_VERSION",
        "    paths: [$UV_CACHE_DIR]",
        ".on-main:",
        "  rules:",
        "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
        "    - if: $CI_MERGE_REQUEST_IID",
    ]
    jobs = []
    stages = ["lint", "build", "test", "deploy"]
    n = 0
    while len(head) + sum(len(j) for j in jobs) < 980:
        stage = stages[n % 4]
        jobs.append(
            [
                f"{stage}-{n}:",
                "  extends: [.uv-cache, .on-main]",
                f"  stage: {stage}",
                "  variables:",
                f'    PART: "{n}"',
                "  script:",
                f"    - uv sync --locked --group part-{n}",
                f'    - uv run python -c "print($PART + {n})"',
                "    - |",
                f'      for path in dist/*-{n}.whl; do',
                '        echo "built $path"',
                "      done",
                f"    - uv run pytest -k part_{n} --junitxml=report-{n}.xml",
                "  artifacts:",
                f"    reports: {{junit: report-{n}.xml}}",
                "  after_script:",
                "    - uv cache prune --ci",
            ]
        )
        n += 1
    return "\n".join(head + [line for job in jobs for line in job]) + "\n"


def reader_figures() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".gitlab-ci.yml"
        text = thousand_line_pipeline()
        path.write_text(text)
        (Path(tmp) / "uv.lock").write_text("version = 1\n")
        first = median_seconds(lambda: reader.check_file(path), repeat=1)
        problems, _ = reader.check_file(path)
        rules = gitlab.Rules(reader=True, project=Path(tmp))
        every = median_seconds(lambda: reader.check_file(path), repeat=5)
        yaml_only = median_seconds(lambda: gitlab.check_text(text, rules=rules, root=Path(tmp)), repeat=5)
        uv = current().binary
        command = [str(uv), "run", "--project", str(ROOT), "pytest", "--pipeline", str(path)]
        end_to_end = median_seconds(lambda: subprocess.run(command, capture_output=True, cwd=tmp), repeat=5)
    lines = text.count("\n")
    jobs = len(gitlab.Pipeline(gitlab.load(text)).jobs)
    print(f"--pipeline: a {lines}-line pipeline, {jobs} jobs, {len(problems)} findings")
    print(f"  in-process, first call: {first * 1e3:.0f} ms; after it: {every * 1e3:.0f} ms (median), YAML checks alone {yaml_only * 1e3:.0f} ms")
    print(f"  end to end, uv run pytest --pipeline FILE: {end_to_end:.2f} s (median of 5)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--pipeline"]:
        reader_figures()
    else:
        yaml_figures()
        shell_figures()
        reader_figures()

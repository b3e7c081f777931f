"""`uv run pytest --pipeline FILE` (harness/reader.py) on reader files in tests/fixtures/reader/.

Each fixture says what the reader mode must report with `# expect:` (an error) and `# note:` (a
note) comments; see tests/fixtures/reader/README.md. For every GitLab feature the checker once got
wrong there is a file that passes and a near miss that must still fail.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import gitlab, reader, uv_releases
from harness.collect import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "reader"
FILES = sorted([*FIXTURES.glob("*.yml"), *(FIXTURES / "project").glob("*.yml")])
COMMENT = re.compile(r"#\s*(expect|note):\s*(.+?)(?=\s*#\s*(?:expect|note):|\s*$)")


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "reader-checker")


def expectations(path: Path) -> dict[int, list[tuple[str, str]]]:
    """line -> [(level, phrase)] from the fixture's comments."""
    found: dict[int, list[tuple[str, str]]] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        for m in COMMENT.finditer(line):
            found.setdefault(n, []).append(("error" if m[1] == "expect" else "note", m[2]))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_reader_reports_exactly_what_the_fixture_says(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    problems, _ = reader.check_file(path.relative_to(ROOT))
    shown = path.relative_to(ROOT).as_posix()
    expected = expectations(path)
    listing = "\n".join(map(str, problems))
    for p in problems:
        assert p.file == shown, f"a problem in another file: {p}"
        levels = {level for level, _ in expected.get(p.line, [])}
        assert p.level in levels, f"unexpected {p.level}: {p}\nall:\n{listing}"
    for line, items in expected.items():
        for level, phrase in items:
            hits = [p for p in problems if p.line == line and p.level == level and phrase in p.message]
            assert hits, f"{shown}:{line}: expected a {level} containing {phrase!r}; got:\n{listing}"
    status = reader.run([shown], out=io.StringIO())
    assert status == (1 if any(level == "error" for items in expected.values() for level, _ in items) else 0)


# Each false alarm of issue 8: (file that passes, near miss that must still fail).
CATEGORIES = {
    "spec: header after comments": ("ok-spec-header", "bad-spec-header"),
    "coverage and rules:if regexes in RE2": ("ok-coverage-re2", "bad-coverage-backreference"),
    "!reference in rules:if": ("ok-reference-if", "bad-reference-if"),
    "key: null unsets an inherited key": ("ok-null-unset", "bad-null-unset"),
    "lists nested through anchors": ("ok-nested-anchors", "bad-nested-anchors"),
    "a job redefining an included one": ("ok-include-redefine", "bad-include-redefine"),
    "PowerShell jobs": ("ok-powershell", "bad-powershell"),
    "variables from settings, dotenv, rules": ("ok-variables-elsewhere", "bad-variables-elsewhere"),
    "duplicate keys, with GitLab's reading": ("ok-same-key-in-two-jobs", "bad-duplicate-key"),
    "integer keys": ("ok-integer-keys", "bad-integer-keys"),
    "cache:key:files beyond two": ("project/ok-cache-key-files", "project/bad-cache-key-files"),
    "include: local with spec:inputs": ("project/ok-include-local", "project/bad-include-local"),
}


@pytest.mark.parametrize("category", CATEGORIES, ids=str)
def test_each_false_alarm_has_a_passing_file_and_a_near_miss(category):
    ok, bad = (FIXTURES / f"{name}.yml" for name in CATEGORIES[category])
    assert reader.run([str(ok)], out=io.StringIO()) == 0, ok
    assert reader.run([str(bad)], out=io.StringIO()) == 1, bad


def test_output_is_one_line_per_problem_and_the_summary():
    out = io.StringIO()
    status = reader.run([str(FIXTURES / "bad-uv-rules.yml"), str(FIXTURES / "ok-powershell.yml")], out=out)
    lines = out.getvalue().splitlines()
    assert status == 1
    assert all(re.match(r"^\S+:\d+: \S", line) for line in lines[:-1]), lines
    assert re.fullmatch(
        r"2 file\(s\) checked: \d+ problem\(s\), \d+ note\(s\); PowerShell: 1 job\(s\), "
        r"syntax not checked here",
        lines[-1],
    ), lines[-1]


def test_unreadable_and_binary_files_are_findings(tmp_path):
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"job:\n  script: [\xff\xfe]\n")
    problems, _ = reader.check_file(binary)
    assert [(p.line, p.level) for p in problems] == [(2, "error")] and "not UTF-8" in problems[0].message
    problems, _ = reader.check_file(tmp_path / "missing.yml")
    assert problems[0].level == "error" and "cannot read" in problems[0].message


def test_pipeline_root_moves_where_includes_are_read(tmp_path):
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "jobs.yml").write_text("test:\n  script: [uv run pytest]\n")
    main = tmp_path / "ci" / "main.yml"
    main.write_text("include:\n  - local: ci/jobs.yml\n")
    assert any("no such file" in p.message for p in reader.check_file(main)[0])
    assert [p for p in reader.check_file(main, tmp_path)[0] if p.level == "error"] == []


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_end_to_end_from_outside_the_checkout(tmp_path):
    """The plugin knows `--pipeline FILE` before pytest picks its root, so a file anywhere works."""
    bad = tmp_path / ".gitlab-ci.yml"
    bad.write_text((FIXTURES / "bad-variables-elsewhere.yml").read_text())
    run = _pytest("--pipeline", str(bad), cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.splitlines()[0].startswith(".gitlab-ci.yml:4: job `publish` uses $CI_COMMIT_TAGS"), (
        run.stdout
    )
    good = tmp_path / "good.yml"
    good.write_text((FIXTURES / "ok-reference-if.yml").read_text())
    run = _pytest("--pipeline", str(good), cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "1 file(s) checked: 0 problem(s), 0 note(s)"


# --- the uv release facts -----------------------------------------------------------------------


def test_release_data_holds_the_pinned_uv_and_is_ordered():
    versions = [r.version for r in uv_releases.releases()]
    assert gitlab.site_values().UV_VERSION in versions
    assert [uv_releases.version_key(v) for v in versions] == sorted(
        uv_releases.version_key(v) for v in versions
    )
    assert uv_releases.newest_of("0.9").version == "0.9.30"  # the uv python3.x-bookworm tags stopped at


def test_image_families_agree_with_the_tags_the_guide_lists():
    site = gitlab.site_values()
    floating = [t for t in site.image_tags() if not t[0].isdigit()]
    assert [t for t in floating if not uv_releases.published(t, site.UV_VERSION)] == []
    assert not uv_releases.published("python3.12-bookworm", site.UV_VERSION)
    assert uv_releases.published("python3.12-bookworm", "0.9.30")


def test_refresh_reads_pypi_json(tmp_path):
    sample = {
        "releases": {
            "0.1.0": [{"upload_time": "2024-02-15T10:00:00"}],
            "0.10.0": [{"upload_time": "2026-02-05T01:00:00"}, {"upload_time": "2026-02-04T23:00:00"}],
            "0.2.0rc1": [{"upload_time": "2024-03-01T00:00:00"}],
            "0.3.0": [],
        }
    }
    source = tmp_path / "uv.json"
    source.write_text(json.dumps(sample))
    target = tmp_path / "releases.csv"
    try:
        assert uv_releases.refresh(source.as_uri(), target) == 2
    finally:
        uv_releases.releases.cache_clear()
    assert target.read_text() == "version,date\n0.1.0,2024-02-15\n0.10.0,2026-02-04\n"


# The output block on this page is compared with the command's real output (test below).
COMPARES_OUTPUT_ON = ("docs/check-your-pipeline.md",)


def test_the_guide_page_shows_what_the_command_prints(tmp_path, monkeypatch):
    """docs/check-your-pipeline.md quotes the output for its example file: it must be the real one."""
    from harness.collect import examples

    (page_path,) = COMPARES_OUTPUT_ON
    page = [e for e in examples() if e.page == page_path]
    (shown,) = [e for e in page if e.lang == "yaml" and "unsafe" in e.markers]
    (output,) = [e for e in page if "output" in e.markers]
    (tmp_path / ".gitlab-ci.yml").write_text(shown.source)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert reader.run([".gitlab-ci.yml"], out=out) == 1
    assert out.getvalue() == output.source, (
        f"{output.where(0)}: the page shows other output than the command prints"
    )

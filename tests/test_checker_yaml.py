"""The YAML checker itself, on deliberately broken blocks (tests/fixtures/yaml/, not the site).

Each fixture file is turned into an `Example` as a page would show it; `# expect: phrase` comments
mark the lines the checker must report. See tests/fixtures/yaml/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.collect import ROOT, Example, parse_markers
from harness.gitlab import (
    check_example,
    check_yaml,
    expand,
    kinds_for,
    shell_sets,
    site_values,
    shell_uses,
    uv_knows,
    uv_variables,
)

FIXTURES = Path(__file__).parent / "fixtures" / "yaml"
UV_VERSION = site_values().UV_VERSION


def fixture_example(path: Path) -> tuple[Example, list[tuple[int, str]]]:
    """The fixture as an Example, and the (line, phrase) pairs its `# expect:` comments name."""
    rel = path.relative_to(ROOT).as_posix()
    text = path.read_text().replace("{{ uv_version }}", UV_VERSION)
    info, fence_line, markers, expected = "yaml", 0, {}, []
    for n, line in enumerate(text.splitlines(), 1):
        header = re.match(r"# (fence|marker): (.*?)\s*(?:# expect:.*)?$", line)
        if header and header[1] == "fence":
            info, fence_line = header[2], n
        elif header:
            markers, problems = parse_markers(f"<!-- check: {header[2]} -->", rel)
            assert not problems, problems
        if expect := re.search(r"# expect: (.+)$", line):
            expected.append((n, expect[1].strip()))
    origins = tuple((rel, n) for n in range(1, text.count("\n") + 1))
    example = Example(
        page=rel, line=fence_line, lang="yaml", info=info, source=text, origins=origins, markers=markers
    )
    return example, expected


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yml")), ids=lambda p: p.name)
def test_checker_reports_exactly_the_mistake(path):
    example, expected = fixture_example(path)
    problems = check_yaml(example)
    rel = path.relative_to(ROOT).as_posix()
    for line, phrase in expected:
        hits = [p for p in problems if p.startswith(f"{rel}:{line}: ") and phrase in p]
        assert hits, f"expected a problem at {rel}:{line} containing {phrase!r}; got:\n" + "\n".join(problems)
    assert len(problems) == len(expected), "unexpected problems:\n" + "\n".join(problems)


def test_upstream_mistakes_are_among_the_fixtures():
    """The upstream page's three real mistakes each have a fixture."""
    names = {p.name for p in FIXTURES.glob("upstream-*.yml")}
    assert {
        "upstream-script-only-comment.yml",
        "upstream-distroless-no-script.yml",
        "upstream-release-no-stages.yml",
    } <= names


def test_problems_are_sorted_by_kind():
    example, _ = fixture_example(FIXTURES / "upstream-script-only-comment.yml")
    found = check_example(example)
    assert list(found) == ["load", "schema", "semantics", "images", "variables"]
    assert len(found["schema"]) == 1 and not found["semantics"]


def test_other_files_are_only_loaded():
    assert kinds_for("ci/templates.yml") == ("load",)
    assert kinds_for(".gitlab-ci.yml") == kinds_for(None) == kinds_for("gitlab-ci.yml")
    assert "schema" in kinds_for(None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "- a\n- b\n",
        "just text\n",
        "uv: 5\n",
        "uv:\n  script: [a]\n  extends: [5, .x]\n",
        "uv:\n  script: !reference []\n",
        "uv:\n  script: [a]\n  needs: [{job: 5}, 7]\n  cache: [1, {key: {files: 3}}]\n",
        "uv:\n  script: [a]\n  image: {name: 5}\n  parallel: {matrix: [5, {A: [1, 2]}]}\n",
        "variables: [1]\nuv:\n  variables: 3\n  script: {a: b}\n",
        "a: [unclosed\n",
        "a:\n  - b\n c: d\n",
        "uv:\n  extends: uv\n  script: [a]\n",
        ".a:\n  extends: .b\n.b:\n  extends: .a\nuv:\n  extends: .a\n",
    ],
)
def test_bad_input_gives_problems_not_crashes(text):
    rel = "docs/page.md"
    example = Example(
        page=rel,
        line=10,
        lang="yaml",
        info="yaml",
        source=text,
        origins=tuple((rel, 11 + i) for i in range(max(1, text.count("\n")))),
    )
    for problem in check_yaml(example):
        assert re.match(r"docs/page\.md:\d+: \S", problem), problem


def test_shell_uses_skip_single_quotes_comments_and_defaults():
    script = "echo '$NOT' \"$A\" ${B} ${C:-x} $$ \\$D  # $COMMENT\nfoo=$E\n"
    assert list(shell_uses(script)) == [("A", 0), ("B", 0), ("E", 1)]


def test_shell_sets_finds_assignments_exports_loops_and_read():
    script = "X=1\nexport Y=2\nexport Z\nfor package in dist/*; do :; done\nwhile read -r a b; do :; done"
    assert {"X", "Y", "Z", "package", "a", "b"} <= shell_sets(script)
    assert "uv" not in shell_sets("uv sync --locked")


def test_expand_follows_variables_and_leaves_unknown_names():
    values = {"A": "$B-x", "B": "1", "F": 3.1}
    assert expand("${A}/$F/$C", values) == "1-x/3.1/$C"


def test_uv_variables_come_from_the_binary():
    known = uv_variables()
    assert {"UV_CACHE_DIR", "UV_LINK_MODE", "UV_PUBLISH_PASSWORD", "UV_SYSTEM_PYTHON"} <= known
    # stored right before a clap value name (`CHECK_URL`), or only on a help page
    assert uv_knows("UV_PUBLISH_URL") and uv_knows("UV_INSECURE_HOST")
    # strings stored back to back must not leak into names
    assert "UV_PUBLISH_PASSWORDT" not in known and "UV_CACHE" not in known
    assert uv_knows("UV_INDEX_GITLAB_PASSWORD") and not uv_knows("UV_PUBLISH_PASSWROD")
    assert not uv_knows("UV_VERSION")
    # read by the standalone installer only
    assert uv_knows("UV_NO_MODIFY_PATH") and uv_knows("UV_UNMANAGED_INSTALL")

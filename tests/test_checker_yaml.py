"""The YAML checker itself, on deliberately broken blocks (tests/fixtures/yaml/, not the site).

Each fixture file is turned into an `Example` as a page would show it; `# expect: phrase` comments
mark the lines the checker must report. See tests/fixtures/yaml/README.md.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from harness.collect import ROOT, Example, parse_markers
from harness.gitlab import (
    check_example,
    check_text,
    check_yaml,
    expand,
    kinds_for,
    shell_sets,
    shell_uses,
    uv_knows,
    uv_variables,
)
from harness.gitlab.check import project_root
from harness.uv_under_test import current

FIXTURES = Path(__file__).parent / "fixtures" / "yaml"


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "yaml-checker")
UV_VERSION = current().version  # `{{ uv_version }}` as a page renders it


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
    # from the binary, or from a help page where the binary stores a name before other text
    assert all(uv_knows(n) for n in ("UV_CACHE_DIR", "UV_LINK_MODE", "UV_PUBLISH_PASSWORD", "UV_SYSTEM_PYTHON"))
    assert {"UV_CACHE_DIR", "UV_LINK_MODE"} <= known
    # stored right before a clap value name (`CHECK_URL`), or only on a help page
    assert uv_knows("UV_PUBLISH_URL") and uv_knows("UV_INSECURE_HOST")
    # strings stored back to back must not leak into names
    assert "UV_PUBLISH_PASSWORDT" not in known and "UV_CACHE" not in known
    assert uv_knows("UV_INDEX_GITLAB_PASSWORD") and not uv_knows("UV_PUBLISH_PASSWROD")
    assert not uv_knows("UV_VERSION")


# --- includes, included CI files, the package's re-exports ------------------------------------------


def test_included_ci_files_get_every_check():
    component = "# c\nspec:\n  inputs: {}\n---\njob:\n  script: [echo]\n"
    assert kinds_for("templates/job.yml", component) == kinds_for(".gitlab-ci.yml")
    assert kinds_for("templates/job.yml", "job:\n  script: [echo]\n") == ("load",)


def test_project_root_of_a_snippet_is_its_page_folder():
    example, _ = fixture_example(FIXTURES / "good-pipeline.yml")
    assert project_root(example) is None  # not a snippet
    snippet = replace(example, origins=(("snippets/page/name.yml", 1),))
    assert project_root(snippet) == ROOT / "snippets" / "page"


def test_local_includes_are_read_merged_and_reported_where_they_are(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "build.yml").write_text(
        "build:\n  stage: build\n  script: [uv build]\n  image: ghcr.io/astral-sh/uv:bookworm\n"
    )
    text = (
        "include:\n  - local: /templates/build.yml\n  - local: templates/missing.yml\n"
        "test:\n  needs: [build]\n  script: [uv run pytest]\n"
    )
    found = check_text(text, root=tmp_path)
    assert [(f.line, f.file) for f in found["load"]] == [(3, "")]
    assert "no such file" in found["load"][0].message
    assert found["semantics"] == []  # `build` comes from the include: `needs` finds it
    # the included file's own problem is reported in that file (`test` here also lacks an image)
    (image,) = [f for f in found["images"] if f.file]
    assert image.file.endswith("templates/build.yml") and image.line == 4


def test_the_package_re_exports_what_other_modules_import():
    import harness.gitlab as package

    for name in (
        "GLOBAL_KEYWORDS", "Map", "Pipeline", "Reference", "Seq", "YAMLProblem", "check_example", "check_yaml",
        "check_all", "expand", "image_problem", "kinds_for", "line_of", "load", "schema_findings",
        "semantic_findings", "shell_sets", "shell_uses", "site_values", "uv_knows", "uv_variables", "walk",
    ):
        assert hasattr(package, name), name


def test_problems_an_include_causes_in_the_included_file_are_reported_at_the_include(tmp_path, monkeypatch):
    """An included template checked alone uses its input defaults; the pipeline that includes it
    passes others. What only those inputs break is reported at the `include:` line."""
    import harness.gitlab.check as check

    monkeypatch.setattr(check, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "snippets" / "page" / "templates").mkdir(parents=True)
    template = (
        "spec:\n  inputs:\n    python:\n      default: \"3.12\"\n---\n"
        f"test:\n  image: ghcr.io/astral-sh/uv:{UV_VERSION}-python$[[ inputs.python ]]-trixie-slim\n"
        "  script: [uv run python -m unittest]\n"
    )
    (tmp_path / "snippets" / "page" / "templates" / "test.yml").write_text(template)
    main = "include:\n  - local: templates/test.yml\n    inputs:\n      python: \"3.99\"\n"
    example = Example(
        page="docs/page.md", line=5, lang="yaml", info='yaml title=".gitlab-ci.yml"', source=main,
        origins=tuple(("snippets/page/main.yml", n) for n in range(1, 5)), include="snippets/page/main.yml",
    )
    assert check_yaml(example) == [
        "snippets/page/main.yml:2: in snippets/page/templates/test.yml:7 with this include: image tag "
        f"`{UV_VERSION}-python3.99-trixie-slim` is not published for uv {UV_VERSION} (did you mean "
        f"`{UV_VERSION}-python3.9-trixie-slim`?)"
    ]
    alone = replace(example, info='yaml title="templates/test.yml"', source=template, include=None,
                    origins=tuple(("snippets/page/templates/test.yml", n) for n in range(1, 9)))
    assert check_yaml(alone) == []

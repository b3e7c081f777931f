"""Every example carries exactly one line that says how it was checked, and the line is true.

docs/hooks.py writes the line under each fence from harness/kinds.py, the classification the checks
use to pick their blocks. Here: the pages as the collector renders them (through the same hook) have
the line each block's kind calls for, right after its closing fence; the built site shows it as a
paragraph next to the code block, not inside it; and the wording matches what the checks do.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness import kinds
from harness.collect import ROOT, _parser, collect_site, examples, render_page
from harness.site import page_path, parse_html, shared_base, shared_build
from test_inventory import claims

sys.path.insert(0, str(ROOT / "docs"))
import macros  # noqa: E402

CLASS_LINE = "{: .example-check data-search-exclude }"
PAGES = collect_site()


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "example-line")


def expected(example) -> str | None:
    return kinds.describe(example, macros.UV_VERSION).line


def fences(lines: list[str], origins) -> dict[int, tuple[int, str]]:
    """Page line of each fence -> (index of the line after its closing fence, its indentation)."""
    found = {}
    for token in _parser().parse("\n".join(lines) + "\n"):
        if token.type == "fence" and token.map:
            start, stop = token.map
            found[origins[start][1]] = (stop, re.match(r"\s*", lines[start])[0])
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_every_example_has_one_line_of_its_kind(page):
    lines, origins, _ = render_page(ROOT / page.path)
    where = fences(lines, origins)
    problems = []
    for example in page.examples:
        after, indent = where[example.line]
        want = expected(example)
        shown = lines[after : after + 3]
        if want is None:
            if CLASS_LINE in (line.strip() for line in shown):
                problems.append(f"{page.path}:{example.line}: a {example.lang} block got a line")
        elif shown != ["", indent + want, indent + CLASS_LINE]:
            problems.append(f"{page.path}:{example.line}: expected the line {want!r} under the block, got {shown}")
    lined = sum(expected(e) is not None for e in page.examples)
    count = sum(line.strip() == CLASS_LINE for line in lines)
    if count != lined:
        problems.append(f"{page.path}:1: {count} example lines for {lined} examples that need one")
    assert not problems, "\n".join(problems)


def test_languages_some_check_claims_are_not_shown_as_unchecked():
    languages, _ = claims()
    unchecked = []
    for lang, module in sorted(languages.items()):
        block = SimpleNamespace(lang=lang, title=None, markers={}, source="")
        if kinds.kind(block) in kinds.UNCHECKED:
            unchecked.append(f"tests/harness/kinds.py:1: {module} checks {lang} blocks, kind() calls them unchecked")
    assert not unchecked, "\n".join(unchecked)


def test_output_blocks_follow_an_example_that_ran():
    ran = (kinds.PIPELINE, kinds.REPRODUCED)
    problems = []
    for page in PAGES:
        for before, block in zip(page.examples, page.examples[1:]):
            if kinds.kind(block) == kinds.OUTPUT and kinds.kind(before) not in ran:
                problems.append(f"{page.path}:{block.line}: an output block after a {kinds.kind(before)} block")
    assert not problems, "\n".join(problems)


# --- the built site -----------------------------------------------------------------------------


class Siblings:
    """Each element of a page with the element before it among its parent's children."""

    def __init__(self, root) -> None:
        self.pairs = []
        self.inside_code = []
        self._walk(root, ancestors=())

    def _walk(self, element, ancestors) -> None:
        previous = None
        for child in element.children:
            if isinstance(child, str):
                continue
            if "example-check" in child.classes:
                self.pairs.append((previous, child))
                if any(a.tag in ("pre", "code") for a in ancestors):
                    self.inside_code.append(child)
            self._walk(child, ancestors + (element,))
            previous = child


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return shared_build(shared_base(tmp_path_factory)).require()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_the_line_sits_under_the_code_block_not_in_it(page, site):
    html = (site / page_path(page.path) / "index.html").read_text()
    found = Siblings(parse_html(html))
    lined = [expected(e) for e in page.examples if expected(e) is not None]
    assert len(found.pairs) == len(lined), f"{page.path}:1: {len(found.pairs)} lines in the HTML, {len(lined)} examples"
    assert not found.inside_code, f"{page.path}:1: an example line inside a code block"
    for (previous, line), want in zip(found.pairs, lined):
        assert previous is not None and ("highlight" in previous.classes or previous.tag == "pre"), (
            f"{page.path}:1: the line {line.text!r} does not follow a code block"
        )
        text = re.sub(r"`([^`]*)`", r"\1", want)
        assert line.text == text, f"{page.path}:1: the HTML shows {line.text!r}, expected {text!r}"
        assert "data-search-exclude" in line.attrs, f"{page.path}:1: the line {want!r} is in the search index"


# --- the wording --------------------------------------------------------------------------------


def block(lang: str, source: str = "", title: str | None = None, **markers: str):
    return SimpleNamespace(lang=lang, title=title, markers=markers, source=source)


PIPELINE = "test:\n  script:\n    - uv sync --locked\n"


@pytest.mark.parametrize(
    ("shown", "kind", "line"),
    [
        (block("yaml", PIPELINE, ".gitlab-ci.yml"), kinds.PIPELINE, "Ran with uv 9.9.9 against a local GitLab-style registry."),
        (
            block("yaml", "release:\n  script:\n    - glab release create v1\n", fragment=""),
            kinds.PIPELINE,
            "Ran with uv 9.9.9 against a local GitLab-style registry, except `glab release create v1`.",
        ),
        (
            block("yaml", PIPELINE, ".gitlab-ci.yml", **{"not-runnable": "", "reason": "needs a GitLab server"}),
            kinds.PIPELINE_NOT_RUN,
            "Checked against GitLab's CI schema and with ShellCheck; not run: needs a GitLab server.",
        ),
        (block("yaml", "site_name: x\n", "mkdocs.yml"), kinds.YAML_FILE, "Parsed as YAML."),
        (block("toml", '[project]\nname = "x"\n'), kinds.TOML_UV, "Locked with uv 9.9.9."),
        (block("toml", '[tool.ruff]\nline-length = 1\n'), kinds.TOML, "Parsed as TOML."),
        (block("console", "$ uv lock\n"), kinds.SHELL, "Checked with bash -n and ShellCheck."),
        (block("text", "error: x\n", reproduces="T1"), kinds.REPRODUCED, "Reproduced with uv 9.9.9."),
        (
            block("text", "error: x\n", reproduces="T2", **{"not-runnable": "", "reason": "needs a runner"}),
            kinds.QUOTED,
            "Quoted, not reproduced: needs a runner.",
        ),
        (block("yaml", PIPELINE, unsafe="", reason="prints the token"), kinds.UNSAFE, "What not to do: prints the token."),
        (block("text", "done\n", output=""), kinds.OUTPUT, "Output of the example above, compared with its run."),
        (block("mermaid", "flowchart LR\n"), kinds.DIAGRAM, None),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_the_wording_follows_the_kind(shown, kind, line):
    check = kinds.describe(shown, "9.9.9")
    assert (check.kind, check.line) == (kind, line)


def test_pipelines_are_what_test_pipelines_runs():
    """The PIPELINE kind is test_pipelines.py's selection, not a second opinion."""
    from test_pipelines import PIPELINES

    chosen = {str(e) for e in PIPELINES}
    lined = {str(e) for e in examples() if kinds.kind(e) in (kinds.PIPELINE, kinds.PIPELINE_NOT_RUN)}
    assert chosen == lined

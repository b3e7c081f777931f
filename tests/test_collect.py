"""The collector on a fixture site built to exercise it (tests/fixtures/site), not on the real pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.collect import collect_page

SITE = Path(__file__).parent / "fixtures" / "site"


def page(name: str):
    return collect_page(SITE / "docs" / name, root=SITE)


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "collector")


def test_every_fence_form_is_found_at_its_line():
    forms = page("forms.md")
    assert forms.problems == ()
    found = [(e.lang, e.line) for e in forms.examples]
    assert found == [
        ("yaml", 9),  # lang title="..."
        ("yaml", 14),  # ``` yaml, with a marker above
        ("bash", 18),  # {.bash .annotate}
        ("console", 22),  # ~~~
        ("toml", 28),  # inside an admonition
        ("sh", 34),  # inside a tab
        ("text", 40),  # inside a list item
        ("markdown", 44),  # the outer fence only: the yaml shown inside it is content
        ("python", 50),  # still found after the nested example
    ]


def test_included_lines_point_into_the_snippet_file():
    whole, section = page("forms.md").examples[:2]
    assert str(whole) == "snippets/job.yml"
    assert whole.title == ".gitlab-ci.yml"
    # The section markers are dropped from the page, as the site does, so line 2 of the file comes first.
    assert whole.source.splitlines()[0] == "test:"
    assert whole.where(0) == "snippets/job.yml:2"
    assert whole.where(3) == "snippets/job.yml:6"  # after the dropped [end:job] line 5
    assert str(section) == "snippets/job.yml:job"
    assert section.markers == {"fragment": ""}
    assert section.source == "test:\n  script:\n    - uv --version\n"


def test_inline_lines_point_into_the_page():
    bash = page("forms.md").examples[2]
    assert str(bash) == "docs/forms.md:18"
    assert bash.title == "x.sh"
    assert bash.where(0) == "docs/forms.md:19"


def test_missing_include_names_the_include_line():
    assert [str(p) for p in page("missing-include.md").problems] == [
        "docs/missing-include.md:4: include failed: Snippet at path 'snippets/nope.yml' could not be found"
    ]


def test_undefined_macro_names_its_line():
    (problem,) = page("undefined-macro.md").problems
    assert str(problem) == "docs/undefined-macro.md:5: page does not render: 'not_defined' is undefined"


def test_unclosed_fence():
    assert [str(p) for p in page("unclosed-fence.md").problems] == [
        "docs/unclosed-fence.md:3: unclosed fence ```"
    ]


def test_marker_mistakes_and_indented_code():
    problems = [str(p) for p in page("markers.md").problems]
    assert problems[0].startswith("docs/markers.md:4: unknown check marker 'frgment'")
    assert problems[1:] == [
        "docs/markers.md:9: marker 'not-runnable' needs reason=\"...\"",
        "docs/markers.md:19: indented code block: use a fence with a language",
        "docs/markers.md:13: check marker is not directly above a fence",
    ]


def test_fence_without_language_is_collected_with_an_empty_language():
    (example,) = page("no-language.md").examples
    assert example.lang == "" and example.line == 3

"""Every YAML block the site shows, proven statically against GitLab's rules.

One test per block and kind of check: it loads as GitLab loads it (load), GitLab's CI schema
accepts it (schema), it passes the rules the schema misses (semantics), its uv images exist for the
pinned uv (images), and every variable it uses is defined somewhere a reader can see (variables).
A block titled with another file name than .gitlab-ci.yml is only loaded. A block marked `unsafe`
shows what not to do: the checker must reject it. The checks live in harness/gitlab/.
"""

from __future__ import annotations

import functools

import pytest

from harness.collect import ROOT, Example, examples
from harness.gitlab import check_example, check_yaml, kinds_for

LANGUAGES = ("yaml", "yml")

EXAMPLES = [example for lang in LANGUAGES for example in examples(lang)]
CHECKED = [example for example in EXAMPLES if "unsafe" not in example.markers]


@functools.cache
def _problems(key: tuple[str, str]) -> dict[str, list[str]]:
    example = next(e for e in EXAMPLES if (str(e), e.source) == key)
    return check_example(example)


def problems(example) -> dict[str, list[str]]:
    """Problems per kind, computed once per block."""
    return _problems((str(example), example.source))


def _check(example, kind: str, record_property) -> None:
    record_property("check", f"yaml-{kind}")
    record_property("example", str(example))
    found = problems(example)
    if kind != "load" and found["load"]:
        pytest.skip(f"not checked: the block does not load ({found['load'][0]})")
    assert not found[kind], "\n".join(found[kind])


def _applies(kind: str) -> list:
    return [example for example in CHECKED if kind in kinds_for(example.title, example.source)]


@pytest.mark.parametrize("example", _applies("load"), ids=str)
def test_loads(example, record_property):
    _check(example, "load", record_property)


@pytest.mark.parametrize("example", _applies("schema"), ids=str)
def test_schema(example, record_property):
    _check(example, "schema", record_property)


@pytest.mark.parametrize("example", _applies("semantics"), ids=str)
def test_semantics(example, record_property):
    _check(example, "semantics", record_property)


@pytest.mark.parametrize("example", _applies("images"), ids=str)
def test_images(example, record_property):
    _check(example, "images", record_property)


@pytest.mark.parametrize("example", _applies("variables"), ids=str)
def test_variables(example, record_property):
    _check(example, "variables", record_property)


def test_project_pipeline(record_property):
    """This repository's own .gitlab-ci.yml meets the rules its examples meet."""
    record_property("check", "yaml-project")
    text = (ROOT / ".gitlab-ci.yml").read_text()
    lines = text.count("\n") or 1
    example = Example(
        page=".gitlab-ci.yml",
        line=1,
        lang="yaml",
        info='yaml title=".gitlab-ci.yml"',
        source=text,
        origins=tuple((".gitlab-ci.yml", n) for n in range(1, lines + 1)),
    )
    assert check_yaml(example) == []

"""Which YAML files are GitLab CI files, and so get every check (the others are only loaded).

Light on purpose: the site build asks this for every YAML block (harness/kinds.py) and needs no
schema or other checker tools for it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path, PurePosixPath

from .loader import YAMLProblem, include_items, include_kind, parse

ROOT = Path(__file__).resolve().parents[3]

KINDS = ("load", "schema", "semantics", "images", "variables")
PIPELINE_FILE = ".gitlab-ci.yml"
MISSPELT_PIPELINE_FILES = {"gitlab-ci.yml", "gitlab-ci.yaml", ".gitlab-ci.yaml"}
# A `spec:` header document (comments may come first), then `---`.
SPEC_HEADER = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*spec:.*?^---[ \t]*$", re.DOTALL | re.MULTILINE)


def has_spec_header(text: str) -> bool:
    return SPEC_HEADER.match(text) is not None


@functools.cache
def site_included_paths() -> frozenset[str]:
    """Paths (relative to their page's project root) that a snippet pipeline includes locally."""
    found = set()
    for path in (ROOT / "snippets").glob("*/**/*.y*ml"):
        try:
            data = parse(path.read_text()).data
        except (YAMLProblem, OSError, UnicodeDecodeError):
            continue
        for item, _ in include_items(data):
            kind, where = include_kind(item)
            if kind == "local":
                found.add(where.lstrip("/"))
    return frozenset(found)


def is_included_file(title: str | None, source: str | None = None) -> bool:
    """A CI file meant to be included: it has a `spec:` header, or a site pipeline includes it."""
    if source is not None and has_spec_header(source):
        return True
    return title is not None and title.lstrip("/") in site_included_paths()


def kinds_for(title: str | None, source: str | None = None) -> tuple[str, ...]:
    """Checks that apply to a YAML block: a block titled with another file name is only loaded,
    unless it is a CI file that pipelines include."""
    if title is None or PurePosixPath(title).name in {PIPELINE_FILE, *MISSPELT_PIPELINE_FILES}:
        return KINDS
    if is_included_file(title, source):
        return KINDS
    return ("load",)

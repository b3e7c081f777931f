"""Every shell line the site shows parses (`bash -n`) and passes ShellCheck.

Items: each bash/sh/shell block, each console block (its `$ ` commands), and each YAML pipeline with job
scripts (before_script + script, and after_script, as GitLab runs them). Blocks marked `unsafe` are
checked by test_secrets.py, which asserts that they are rejected.
"""

from __future__ import annotations

import warnings

import pytest
from harness import shell
from harness.collect import Example

LANGUAGES = ("bash", "sh", "shell", "console")


def _checked(example: Example) -> bool:
    """Not unsafe, and something to check: a script, or a problem found while extracting it."""
    if "unsafe" in example.markers:
        return False
    scripts, problems = shell.extract(example)
    return bool(scripts or problems)


EXAMPLES = [e for e in shell.site_examples() if _checked(e)]


def _findings(example: Example) -> list[shell.Finding]:
    return shell.site_findings()[str(example)]


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_bash_n(example, record_property):
    """bash parses every script; extraction problems (YAML that does not load, ...) count here."""
    record_property("check", "bash-n")
    record_property("example", str(example))
    problems = [f for f in _findings(example) if f.check != "shellcheck" and f.code != "after-script"]
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_shellcheck(example, record_property):
    """ShellCheck (error, warning, info) and the after_script shell rule; style findings are warnings."""
    record_property("check", "shellcheck")
    record_property("example", str(example))
    found = [f for f in _findings(example) if f.check == "shellcheck" or f.code == "after-script"]
    for style in (f for f in found if f not in shell.failures(found)):
        warnings.warn(str(style), stacklevel=1)
    problems = shell.failures(found)
    assert not problems, "\n".join(map(str, problems))

"""Effects of the pipelines on docs/images.md."""

from __future__ import annotations

from effects import effect
from effects._common import log_of


@effect("snippets/images/git-image.yml")
def git_is_there_and_the_tests_pass(run):
    log = log_of(run, "test")
    assert "git version" in log, "`git --version` printed no version"
    assert "Ran 2 tests" in log

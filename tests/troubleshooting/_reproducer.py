"""The test every entry module declares with `@reproduces("Tn")`, and the asserts reproductions use.

    @reproduces("T4")
    def test_publish_401(entry, sandbox, request):
        ...  # build the failing setup, entry.shows(entry.block("401"), output), apply the fix

The decorated function becomes a pytest test with the id Tn. It gets the page's entry
(harness/entries.py), a fresh sandbox and pytest's `request`; afterwards every quoted block of the
entry must have been shown, except blocks the page marks `not-runnable reason="..."` (an older uv
printed them, or only a GitLab server can). An entry with such blocks, a `marked="why"` (the cause
needs a GitLab server although uv's reply is reproduced), or a `raise Marked("why")` from inside is
reported as marked with its reasons once its checks ran (the summary lists them).
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from harness.collect import ROOT
from harness.entries import PAGE, entries
from harness.quoted import as_printed, mismatch

# Entry id -> where its reproduction is (module:line), for the completeness test.
REPRODUCERS: dict[str, str] = {}


class Marked(Exception):
    """Raised by a reproduction after its partial checks: the rest needs what this machine lacks."""


def reproduces(tid: str, marked: str | None = None):
    """Make the decorated function the reproduction test of entry `tid`."""

    def register(func: Callable) -> Callable:
        source = Path(inspect.getsourcefile(func)).relative_to(ROOT)
        where = f"{source}:{inspect.getsourcelines(func)[1]}"
        REPRODUCERS[tid] = where

        @pytest.mark.parametrize("tid", [tid])
        def test(tid, request, sandbox, record_property):
            record_property("check", "troubleshooting")
            entry = entries().get(tid)
            if entry is None:
                pytest.fail(f'{PAGE}:1: no quoted block is marked reproduces="{tid}" (reproducer at {where})')
            record_property("example", str(entry.blocks[0]))
            try:
                func(entry, sandbox, request)
            except Marked as why:
                record_property("troubleshooting", f"marked: {why}")
                pytest.skip(f"{tid} marked: {why}")
            entry.all_shown()
            reasons = [marked] if marked else []
            reasons += [b.markers["reason"] for b in entry.not_reproducible]
            if reasons:
                why = "; ".join(dict.fromkeys(reasons))
                record_property("troubleshooting", f"marked: {why}")
                pytest.skip(f"{tid} marked: {why}")
            record_property("troubleshooting", "reproduced")

        test.__name__ = test.__qualname__ = func.__name__
        test.__doc__ = func.__doc__
        return test

    return register


def ok(where: str, result) -> str:
    """The output of a run that must succeed; `where`: the file:line the run stands for."""
    assert result.returncode == 0, f"{where}: exit status {result.returncode}:\n{result.stdout}"
    return result.stdout


def failed(where: str, result) -> str:
    """The output of a run that must fail."""
    assert result.returncode != 0, f"{where}: expected a failure, got exit status 0:\n{result.stdout}"
    return result.stdout


def absent(block, output: str) -> None:
    """The quoted message (as the uv under test prints it) is gone after the fix."""
    assert mismatch(as_printed(block), output) is not None, f"{block.where()}: still printed after the fix:\n{output}"


def need(*tools: str) -> None:
    """Mark the entry when a command its setup uses is not on this machine."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise Marked(f"needs {', '.join(missing)} on this machine")

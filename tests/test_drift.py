"""The drift logic on small fixtures (tests/fixtures/drift), not on the real site.

Another uv than the pin under test (`--uv`) is simulated per test by naming it in the environment,
as the plugin does (harness/uv_under_test.py): a stale pin becomes literal drift with its edit, a
changed message becomes message drift with the quote rewritten (wildcards kept), a variable the
other uv no longer reads is a problem at its line, and its new ones are one drift entry. The bump
writes exactly those edits.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import bump, drift, quoted
from harness.collect import Example
from harness.gitlab import check_text
from harness.uv_under_test import ENV_BINARY, ENV_VERSION, VENV_UV, copy_project, current, next_minor, pinned
from harness.versions import bump_lines, drift_or_problems

FIXTURES = Path(__file__).parent / "fixtures" / "drift"


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "drift-logic")
    drift.take()  # notes of an earlier test in this process are not this test's
    yield
    drift.take()


@pytest.fixture(autouse=True)
def uv_pin(monkeypatch):
    """The pin as the uv under test, whatever `--uv` names: each test says which uv it looks at."""
    monkeypatch.setenv(ENV_VERSION, pinned())
    monkeypatch.setenv(ENV_BINARY, str(VENV_UV))
    current.cache_clear()
    yield
    monkeypatch.undo()
    current.cache_clear()


@pytest.fixture
def under_test(monkeypatch, uv_pin):
    """Make another uv the uv under test of this process for one test."""

    def use(version: str, binary: Path | None = None):
        monkeypatch.setenv(ENV_VERSION, version)
        monkeypatch.setenv(ENV_BINARY, str(binary or current().binary))
        current.cache_clear()
        return current()

    yield use
    monkeypatch.undo()
    current.cache_clear()


def numbered(path: Path) -> list[tuple[str, str]]:
    return [(f"{path.name}:{n}", line) for n, line in enumerate(path.read_text().splitlines(), 1)]


# --- a stale pin ----------------------------------------------------------------------------------


def test_literals_of_the_pin_are_drift_with_their_edit():
    drifts, problems = drift_or_problems(numbered(FIXTURES / "stale-pin.yml"), "9.9.9", "9.10.0")
    assert [(d.where, d.edits[0].new.strip()) for d in drifts] == [
        ("stale-pin.yml:3", 'UV_VERSION: "9.10.0"'),
        ("stale-pin.yml:6", "image: ghcr.io/astral-sh/uv:9.10-python3.12-trixie-slim"),
        ("stale-pin.yml:8", '- pip install "uv==9.10.0"'),
        ("stale-pin.yml:9", "- curl -LsSf https://astral.sh/uv/9.10.0/install.sh | sh"),
    ]
    assert all(d.kind == "literal" and d.edits[0].old in (FIXTURES / "stale-pin.yml").read_text() for d in drifts)
    # a literal that is stale for the pin too is a problem a person fixes, not drift
    assert problems == ["stale-pin.yml:10: uv pin 9.8.0 is not the uv under test 9.10.0 (pyproject.toml)"]


def test_build_bounds_and_template_defaults_are_literals_too():
    drifts, _ = drift_or_problems(numbered(FIXTURES / "pyproject.toml"), "9.9.9", "9.10.0")
    assert [d.edits[0].new for d in drifts] == ['requires = ["uv_build>=9.10.0,<9.11"]']
    drifts, _ = drift_or_problems(numbered(FIXTURES / "template.yml"), "9.9.9", "9.10.0")
    assert [(d.where, d.edits[0].new.strip()) for d in drifts] == [("template.yml:5", 'default: "9.10.0"')]
    python_default = bump_lines((FIXTURES / "template.yml").read_text().splitlines(), "9.9.9", "9.10.0")[6]
    assert python_default.strip() == 'default: "3.12"', "a default of another input is not a uv version"


def test_fixture_projects_get_the_bounds_of_the_uv_under_test(tmp_path, under_test):
    uv = under_test("9.10.0")
    copy = copy_project(FIXTURES, tmp_path / "copy")
    assert 'requires = ["uv_build>=9.10.0,<9.11"]' in (copy / "pyproject.toml").read_text()
    assert uv.build_requires == f"uv_build>=9.10.0,<{next_minor('9.10.0')}"


def test_with_the_pin_under_test_nothing_is_drift(record_property):
    uv = current()
    lines = [("a:1", f'UV_VERSION: "{uv.pinned}"'), ("a:2", f"image: ghcr.io/astral-sh/uv:{uv.minor}-alpine")]
    assert drift_or_problems(lines, uv.pinned, uv.version) == ([], []) and not uv.looking_ahead


# --- a changed message ----------------------------------------------------------------------------


def _quoted() -> Example:
    text = (FIXTURES / "quoted.txt").read_text()
    origins = tuple(("tests/fixtures/drift/quoted.txt", n) for n in range(1, text.count("\n") + 1))
    return Example("tests/fixtures/drift/quoted.txt", 1, "text", "text", text, origins)


PRINTED = (
    "Resolved 1 package in 3ms\n"
    "error: Failed to fetch: `http://127.0.0.1:41234/simple/my-package/`\n"
    "  Caused by: HTTP status client error (401 Unauthorized) for url (http://127.0.0.1:41234/simple/my-package/)\n"
)


def test_a_message_changed_in_text_is_rewritten_with_its_wildcards():
    assert quoted.rewrite(_quoted(), PRINTED) == [
        "error: Failed to fetch: `https://<host>/simple/my-package/`",
        "  Caused by: HTTP status client error (401 Unauthorized) for url (https://<host>/simple/my-package/)",
    ]


def test_a_changed_message_is_drift_at_its_line_only_under_another_uv(under_test):
    block = _quoted()
    with pytest.raises(AssertionError, match="did not print the quoted line"):
        quoted.assert_shows(block, PRINTED)  # the pin under test: a failure, as always
    under_test("9.10.0")
    quoted.assert_shows(block, PRINTED)
    (noted,) = drift.take()
    assert (noted.kind, noted.where) == ("message", "tests/fixtures/drift/quoted.txt:2")
    assert noted.message.startswith("uv 9.10.0 prints `Caused by: HTTP status")
    assert noted.edits[0].old == block.source.splitlines()[1]
    # later comparisons in the test use the new text: the fix must make *it* go away
    assert quoted.mismatch(quoted.as_printed(block), PRINTED) is None


def test_a_message_that_changed_more_than_its_text_needs_a_person(under_test):
    under_test("9.10.0")
    other = "error: Something else entirely went wrong\n  hint: try again later\n"
    assert quoted.rewrite(_quoted(), other) is None
    with pytest.raises(AssertionError):
        quoted.assert_shows(_quoted(), other)
    (noted,) = drift.take()
    assert (noted.kind, noted.where, noted.edits) == ("message", "tests/fixtures/drift/quoted.txt:1", ())
    assert noted.message.endswith("needs a person") and "closest: `error: Something else" in noted.message


def test_a_wrapped_line_is_not_a_text_change():
    """uv printing the quoted line cut in two (a narrower report format) keeps too little of it."""
    wrapped = (
        "error: Failed to fetch: `http://127.0.0.1:41234/simple/my-package/`\n"
        "  Caused by: HTTP status client error (401 Unauthorized)\n"
        "  for url (http://127.0.0.1:41234/simple/my-package/)\n"
    )
    assert quoted.rewrite(_quoted(), wrapped) is None


# --- a removed variable, and new ones -------------------------------------------------------------


def test_a_variable_the_uv_under_test_no_longer_reads_fails_at_its_line(under_test, tmp_path):
    text = "variables:\n  UV_CACHE_DIR: .uv-cache\n  UV_LINK_MODE: copy\n"
    assert check_text(text)["variables"] == []  # the pin reads both
    fake = shutil.copy2(FIXTURES / "uv", tmp_path / "uv")
    under_test("9.10.0", Path(fake))
    (finding,) = check_text(text)["variables"]
    assert (finding.line, finding.message) == (3, "UV_LINK_MODE is not an environment variable uv 9.10.0 reads")


def test_new_variables_are_one_entry_at_the_settings_table(tmp_path):
    fake = Path(shutil.copy2(FIXTURES / "uv", tmp_path / "uv"))
    found = drift.new_variables(current().binary, fake, "9.10.0", current().pinned, "docs/macros.py:9")
    assert [str(d) for d in found] == [
        f"docs/macros.py:9: uv 9.10.0 reads variables uv {current().pinned} does not: UV_NEW_SETTING"
    ]


# --- the report and the bump ----------------------------------------------------------------------


def _report(failed=False, text="", props=()):
    return SimpleNamespace(user_properties=list(props), failed=failed, longreprtext=text, nodeid="tests/x.py::t")


def test_each_difference_once_and_failures_only_under_another_uv():
    literal = drift.Drift("literal", "snippets/a.yml:2", "names uv 9.9.9", (drift.Edit("snippets/a.yml", 2, "a", "b"),))
    failure = (
        "snippets/b.yml:7: job 'test' failed\n    $ uv sync --locked\n    error: Failed to parse `uv.lock`\n"
    )
    reports = [
        _report(props=[("drift", [literal.as_property()])]),
        _report(props=[("drift", [literal.as_property()])]),  # a snippet shown on two pages
        _report(failed=True, text=failure, props=[("check", "pipeline")]),
        _report(failed=True, text="docs/a.md:1: axe serious color-contrast", props=[("check", "browser")]),
    ]
    ahead = drift.collect(reports, looking_ahead=True)
    assert [str(d) for d in ahead] == [
        "snippets/a.yml:2: names uv 9.9.9",
        "snippets/b.yml:7: job 'test' failed (error: Failed to parse `uv.lock`)",
    ]
    assert ahead[0].edits == literal.edits
    assert drift.collect(reports, looking_ahead=False) == [literal]  # a failure with the pin is a failure
    # the browser check does not run uv: its failure is a failure with any uv, not drift
    report = drift.markdown(ahead, "9.10.0", "9.9.9", "latest")
    assert report.startswith("# Drift: uv 9.10.0 (`--uv latest`) against the pin, uv 9.9.9")
    assert "## Literals to bump (1)" in report and "## Examples that now fail (1)" in report
    assert drift.markdown([], "9.9.9", "9.9.9", "9.9.9").endswith("as it does with uv 9.9.9.\n")


def test_the_bump_writes_the_literals_and_the_messages(tmp_path):
    root = tmp_path / "guide"
    (root / "snippets" / "page").mkdir(parents=True)
    shutil.copy2(FIXTURES / "stale-pin.yml", root / "snippets" / "page" / "stale-pin.yml")
    (root / "docs").mkdir()
    shutil.copy2(FIXTURES / "quoted.txt", root / "docs" / "quoted.txt")
    message = drift.Drift(
        "message", "docs/quoted.txt:2", "", (drift.Edit("docs/quoted.txt", 2, "  cause: HTTP", "  Caused by: HTTP"),)
    )
    changed = bump.apply_messages([message], root) + bump.apply_literals("9.9.9", "9.10.0", root)
    assert changed[0] == "docs/quoted.txt:2: `cause: HTTP` -> `Caused by: HTTP`"
    assert len(changed) == 5, changed
    text = (root / "snippets" / "page" / "stale-pin.yml").read_text()
    assert "9.9.9" not in text and "9.9-" not in text and 'uv==9.8.0"' in text
    assert (root / "docs" / "quoted.txt").read_text().splitlines()[1].startswith("  Caused by: HTTP status")

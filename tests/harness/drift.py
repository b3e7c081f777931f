"""Drift: what changes for the guide's readers when another uv than the pin is under test.

`uv run pytest --uv VERSION` runs every check against that release (harness/uv_under_test.py).
Each difference becomes one `Drift`, at the file:line a maintainer edits:

  literal   a uv version the guide's files name (snippets, fixtures, .gitlab-ci.yml)
  message   a quoted message whose text changed (old -> new)
  image     an image tag that release does not publish
  variable  a UV_* name it no longer knows, or names it reads that the pin does not
  prose     a uv command, option or UV_* name in prose or a generated table it does not know
  example   an example that now fails (its first error line)

Checks note the differences they can name exactly (`note`; a literal and a changed message come
with the `Edit` that `--bump` applies, harness/bump.py); a test that fails under another uv is
drift too, at the file:line its message starts with. conftest.py hands each test's notes to its
report (`record_property` crosses pytest-xdist), and at the end `collect` gathers them, each once,
for the summary and the Markdown report (`markdown`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = {
    "literal": "Literals to bump",
    "message": "Quoted messages whose text changed",
    "image": "Image tags this release does not publish",
    "variable": "UV_* names",
    "prose": "Commands, options and UV_* names in prose",
    "example": "Examples that now fail",
}
# The check kind of a failed test (record_property "check") -> the kind of drift it is.
CHECK_KINDS = {"yaml-images": "image", "yaml-variables": "variable", "prose": "prose", "versions": "literal"}
# The checks that run uv or compare with it: their failures under another uv are drift. Others
# (the browser, ShellCheck...) fail the same way with any uv: a failure there is not drift.
UV_CHECKS = {
    *CHECK_KINDS,
    "yaml-project",
    "pipeline",
    "troubleshooting",
    "toml-uv",
    "python-run",
    "registry",
    "runner",
    "isolation",
    "dockerfile-build",
    "yaml-checker",
    "reader-checker",
    "shell-checker",
}
PROPERTY = "drift"
REPORT = "drift-report.md"  # in the repository root, git-ignored; a CI job keeps it as an artifact
# A line of a failure message that names the file:line to fix (an AssertionError's `E` lines too).
_WHERE = re.compile(
    r"^(?:E\s+)?(?:\w+Error: )?(?P<where>(?:docs|snippets|tests)/[\w./-]+:\d+|\.gitlab-ci\.yml:\d+): "
    r"(?P<message>.+)$",
    re.MULTILINE,
)
_ERROR = re.compile(r"^\W*(error: .+)$", re.MULTILINE)


@dataclass(frozen=True)
class Edit:
    """Replace `old` by `new` in line `line` of `file` (paths relative to the repository)."""

    file: str
    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Drift:
    kind: str
    where: str  # file:line
    message: str
    edits: tuple[Edit, ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def as_property(self) -> tuple:
        return (self.kind, self.where, self.message, tuple((e.file, e.line, e.old, e.new) for e in self.edits))

    @classmethod
    def from_property(cls, value) -> Drift:
        kind, where, message, edits = value
        return cls(kind, where, message, tuple(Edit(*e) for e in edits))


_NOTED: list[Drift] = []


def note(drift: Drift) -> None:
    """A difference the running test found; its report carries it to the summary."""
    _NOTED.append(drift)


def take() -> list[Drift]:
    """The differences noted since the last call."""
    found = list(_NOTED)
    _NOTED.clear()
    return found


def split_where(where: str) -> tuple[str, int]:
    file, _, line = where.rpartition(":")
    return file, int(line)


def from_failure(text: str, check: str | None, nodeid: str) -> list[Drift]:
    """A failed test as drift: each line of its message that starts with a file:line, with the
    first `error:` line after it (uv's own words) when there is one; the test's id when none does."""
    kind = CHECK_KINDS.get(check or "", "example")
    # An assertion's message is on its `E` lines; the other lines are the traceback.
    if re.search(r"^E ", text, re.MULTILINE):
        text = "\n".join(line for line in text.splitlines() if line.startswith("E "))
    found = list(_WHERE.finditer(text))
    if not found:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "failed")
        return [Drift(kind, nodeid, first)]
    drifts = []
    for m, following in zip(found, [*found[1:], None]):
        message = m["message"].strip()
        error = _ERROR.search(text, m.end(), following.start() if following else len(text))
        if error and error[1] not in message:
            message += f" ({error[1].strip()})"
        drifts.append(Drift(kind, m["where"], message))
    return drifts


def collect(reports, looking_ahead: bool) -> list[Drift]:
    """Every difference of a run, each once, in the order of KINDS and then of file and line.

    `reports` are the run's test reports. With another uv under test, a failure of a check that
    runs uv (UV_CHECKS) is drift too, at each file:line its test did not note a difference at.
    """
    found: dict[tuple[str, str, str], Drift] = {}
    for report in reports:
        props = dict(report.user_properties)
        noted = [Drift.from_property(value) for value in props.get(PROPERTY, [])]
        if looking_ahead and report.failed and props.get("check") in UV_CHECKS:
            wheres = {d.where for d in noted}
            failure = from_failure(report.longreprtext, props.get("check"), report.nodeid)
            noted += [d for d in failure if d.where not in wheres]
        for drift in noted:
            found.setdefault((drift.kind, drift.where, drift.message), drift)
    order = list(KINDS)

    def key(d: Drift):
        file, _, line = d.where.rpartition(":")
        return order.index(d.kind), file, int(line) if line.isdigit() else 0, d.message

    return sorted(found.values(), key=key)


def new_variables(pinned_binary, binary, version: str, pinned: str, where: str) -> list[Drift]:
    """The UV_* names the help pages of the uv under test show and the pin's do not: one entry at
    `where`, the table of settings a CI job may need (docs/macros.py UV_SETTINGS)."""
    from .gitlab.uv import uv_help_variables

    new = sorted(uv_help_variables(binary) - uv_help_variables(pinned_binary))
    if not new:
        return []
    return [Drift("variable", where, f"uv {version} reads variables uv {pinned} does not: {', '.join(new)}")]


def summary(drifts: list[Drift]) -> list[str]:
    """Lines for the checker's summary."""
    if not drifts:
        return ["drift: none"]
    counts = ", ".join(f"{k} {n}" for k in KINDS if (n := sum(d.kind == k for d in drifts)))
    return [f"drift: {len(drifts)} ({counts})", *(f"  - {d}" for d in drifts)]


def markdown(drifts: list[Drift], version: str, pinned: str, requested: str) -> str:
    """The drift report as Markdown, one section per kind."""
    asked = f" (`--uv {requested}`)" if requested != version else ""
    lines = [f"# Drift: uv {version}{asked} against the pin, uv {pinned}", ""]
    if not drifts:
        lines.append(f"No drift: every check passed with uv {version} as it does with uv {pinned}.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{len(drifts)} difference(s), each at the file and line to edit. "
        f"`uv run pytest --uv {version} --bump` applies the literals and the quoted messages."
    )
    for kind, title in KINDS.items():
        items = [d for d in drifts if d.kind == kind]
        if items:
            lines += ["", f"## {title} ({len(items)})", ""]
            lines += [f"- `{d.where}`: {d.message}" for d in items]
    return "\n".join(lines) + "\n"

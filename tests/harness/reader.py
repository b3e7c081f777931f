"""`uv run pytest --pipeline FILE [--pipeline FILE ...] [--pipeline-root DIR]`: a reader's own CI files.

The same static checks the guide's examples get (YAML loading with `include: local`, GitLab's
schema, semantics, uv images and installs, `$VAR` and `UV_*` names, bash -n + ShellCheck, secrets),
with the reader's rules (harness/gitlab/model.py, `Rules`): any published uv is fine, variables
the file does not define are notes. Nothing runs. One line per problem, `PATH:LINE: message`;
notes read `PATH:LINE: note: message` and do not fail. Exit status 1 when there is a problem.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from . import gitlab, secrets, shell
from .collect import Example
from .gitlab.loader import display, resolve_includes


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str
    level: str = "error"

    def __str__(self) -> str:
        note = "note: " if self.level == "note" else ""
        return f"{self.file}:{self.line}: {note}{self.message}"


def _example(shown: str, text: str) -> Example:
    """A whole file as the `Example` the shell and secrets checks read: line i is line i + 1."""
    origins = tuple((shown, n) for n in range(1, text.count("\n") + 2))
    return Example(
        page=shown, line=1, lang="yaml", info='yaml title=".gitlab-ci.yml"', source=text, origins=origins
    )


def _read(path: Path) -> tuple[str | None, Problem | None]:
    shown = display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, Problem(shown, 1, f"cannot read the file: {exc.strerror}")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(
            shown, line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); GitLab reads CI files as UTF-8"
        )


# ShellCheck's "referenced but not assigned": in a reader's file the variable may come from the
# project's settings, as for the YAML variables rule, so it informs and does not fail.
NOTE_CODES = {"SC2154"}


def _shell_problems(example: Example) -> list[Problem]:
    found = []
    findings = shell.lint_all([example])[str(example)]
    failing = set(shell.failures(findings))
    for f in [*findings, *secrets.check(example)]:
        if f.code == "yaml":
            continue  # a file that does not load: the YAML checks report it
        file, _, line = f.where.rpartition(":")
        level = "note" if f.code in NOTE_CODES or (f.code.startswith("SC") and f not in failing) else "error"
        found.append(Problem(file, int(line) if line.isdigit() else 1, f"{f.code} {f.message}", level))
    return found


def check_file(path: Path, root: Path | None = None) -> tuple[list[Problem], int]:
    """Problems of one CI file and the local files it includes, and its number of PowerShell jobs."""
    shown = display(path)
    text, problem = _read(path)
    if problem:
        return [problem], 0
    root = root or path.parent
    rules = gitlab.Rules(reader=True, project=root)
    problems = []
    for items in gitlab.check_text(text, rules=rules, root=root).values():
        problems += [Problem(f.file or shown, max(f.line, 1), f.message, f.level) for f in items]
    examples = [_example(shown, text)]
    try:
        data = gitlab.parse(text).data
        examples += [
            _example(i.file, (root / i.path).read_text())
            for i in resolve_includes(data, root).included
            if i.document
        ]
    except (gitlab.YAMLProblem, OSError, UnicodeDecodeError):
        pass  # reported by check_text
    powershell = 0
    for example in examples:
        problems += _shell_problems(example)
        powershell += len(shell.powershell_jobs(example))
    return sorted(set(problems)), powershell


def run(paths: list[str], root: str | None = None, out=sys.stdout) -> int:
    """Check every file, print its problems, return the exit status (1 when any is an error)."""
    problems, powershell = [], 0
    for name in paths:
        found, ps = check_file(Path(name), Path(root) if root else None)
        problems += found
        powershell += ps
    problems = sorted(set(problems))
    for problem in problems:
        print(problem, file=out)
    errors = sum(p.level == "error" for p in problems)
    notes = len(problems) - errors
    summary = f"{len(paths)} file(s) checked: {errors} problem(s), {notes} note(s)"
    if powershell:
        summary += f"; PowerShell: {powershell} job(s), syntax not checked here"
    print(summary, file=out)
    return 1 if errors else 0

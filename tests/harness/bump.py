"""`uv run pytest --uv VERSION --bump`: move the guide to the uv under test in one step.

After the run against that uv has collected its drift (harness/drift.py), in this order:
1. every quoted message whose reproduction differs only in text, as the run found it (wildcards
   kept, harness/quoted.py);
2. every uv literal that names the old pin (or its X.Y where a literal may), and uv_build bounds
   that hold it (harness/versions.py), in what a reader copies and what the checks build from:
   the snippets, the pages, this project's .gitlab-ci.yml and the fixtures that stand for a
   reader's project or pipeline;
3. data/uv-releases.csv, rewritten from PyPI when it does not list the release yet (the reader
   checks and the image rules look releases up there);
4. the pin in pyproject.toml, and `uv lock`, so that the next `uv run` installs that uv.

It returns what it changed, one line per file:line. What it cannot change (an example that fails,
an image that is not published, a name uv no longer reads) needs a person: the drift report has it.

Left alone on purpose: tests/fixtures/reader/ and snippets/check-your-pipeline/, whose versions are
a reader's (any published uv passes there; the page quotes the reader check's output for them), and
tests/wheelhouse/ (the stand-in for PyPI serves the uv under test's own wheel in place of the one
there, harness/uv_under_test.py `served`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from . import uv_releases
from .collect import ROOT
from .drift import Drift
from .uv_under_test import UvUnderTest
from .versions import bump_lines

# Where the guide's own uv literals live (directories are walked for text files).
LITERALS = (
    "snippets",
    "docs",
    ".gitlab-ci.yml",
    "tests/fixtures/sample-project",
    "tests/fixtures/troubleshooting",
    "tests/fixtures/shell",
    "tests/fixtures/pipelines",
)
READER_CONTENT = ("snippets/check-your-pipeline/",)
TEXT_SUFFIXES = {".yml", ".yaml", ".md", ".toml", ".sh", ".py", ".txt", ".cfg", ".ini", ".json", ""}


def _files(root: Path) -> list[Path]:
    found = []
    for name in LITERALS:
        path = root / name
        if not path.exists():
            continue
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in paths:
            rel = p.relative_to(root).as_posix()
            if rel.startswith(READER_CONTENT) or ".venv" in p.parts or "__pycache__" in p.parts:
                continue
            if p.suffix in TEXT_SUFFIXES or p.name.endswith("Dockerfile") or p.suffix == ".Dockerfile":
                found.append(p)
    return found


def _write_lines(path: Path, lines: list[str]) -> None:
    text = path.read_text()
    path.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""))


def apply_messages(drifts: list[Drift], root: Path = ROOT) -> list[str]:
    """The edits of changed quoted messages; a line that no longer holds the old text is reported."""
    changed = []
    for d in drifts:
        if d.kind != "message":
            continue
        for edit in d.edits:
            path = root / edit.file
            lines = path.read_text().splitlines()
            current = lines[edit.line - 1]
            if edit.old not in current:
                changed.append(f"{edit.file}:{edit.line}: not changed: it no longer reads `{edit.old.strip()}`")
                continue
            lines[edit.line - 1] = current.replace(edit.old, edit.new, 1)
            _write_lines(path, lines)
            changed.append(f"{edit.file}:{edit.line}: `{edit.old.strip()}` -> `{edit.new.strip()}`")
    return changed


def apply_literals(old: str, new: str, root: Path = ROOT) -> list[str]:
    """Every literal of `old` in the guide's own files names `new`."""
    changed = []
    for path in _files(root):
        try:
            lines = path.read_text().splitlines()
        except UnicodeDecodeError:
            continue
        moved = bump_lines(lines, old, new)
        if moved == lines:
            continue
        _write_lines(path, moved)
        rel = path.relative_to(root).as_posix()
        pairs = enumerate(zip(lines, moved), 1)
        changed += [f"{rel}:{n}: `{a.strip()}` -> `{b.strip()}`" for n, (a, b) in pairs if a != b]
    return changed


def _uv_command() -> str:
    """The uv that runs `uv run` (it names itself in UV), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise FileNotFoundError("no uv to run `uv lock` with (UV is not set and uv is not on PATH)")
    return found


def apply_pin(old: str, new: str) -> list[str]:
    """The pin in pyproject.toml, then `uv lock` (the index is asked, as for any `uv lock`)."""
    pyproject = ROOT / "pyproject.toml"
    text = pyproject.read_text()
    pattern = re.compile(rf'"uv=={re.escape(old)}"')
    if len(pattern.findall(text)) != 1:
        return [f"pyproject.toml:1: not changed: expected one \"uv=={old}\""]
    line = text[: pattern.search(text).start()].count("\n") + 1
    pyproject.write_text(pattern.sub(f'"uv=={new}"', text))
    changed = [f"pyproject.toml:{line}: `uv=={old}` -> `uv=={new}`"]
    result = subprocess.run([_uv_command(), "lock"], cwd=ROOT, capture_output=True, text=True, check=False)
    output = (result.stderr + result.stdout).strip().splitlines()
    if result.returncode != 0:
        return changed + [f"uv.lock:1: `uv lock` failed: {' / '.join(output[-3:])}"]
    return changed + [f"uv.lock: {' / '.join(line for line in output if line.startswith('Updated')) or 'locked'}"]


def apply_releases(version: str) -> list[str]:
    if uv_releases.release(version) is not None:
        return []
    count = uv_releases.refresh()
    return [f"{uv_releases.DATA.relative_to(ROOT)}: rewritten from PyPI ({count} releases)"]


def bump(drifts: list[Drift], uv: UvUnderTest) -> list[str]:
    """Move the guide from the pin to the uv under test; lines saying what changed."""
    if not uv.looking_ahead:
        return [f"bump: nothing to do, uv {uv.version} is the pin"]
    changed = apply_messages(drifts)
    changed += apply_literals(uv.pinned, uv.version)
    changed += apply_releases(uv.version)
    changed += apply_pin(uv.pinned, uv.version)
    left = [d for d in drifts if d.kind not in ("literal", "message")]
    lines = [f"bump: uv {uv.pinned} -> {uv.version}, {len(changed)} change(s):", *(f"  {c}" for c in changed)]
    if left:
        lines.append(f"bump: {len(left)} difference(s) need a person (see the drift report):")
        lines += [f"  {d}" for d in left]
    else:
        lines.append("bump: done; run `uv run pytest` to check the guide with it")
    return lines

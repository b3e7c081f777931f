"""Versions have one source: the exact uv pin in pyproject.toml (docs/macros.py reads it).

Snippet files hold literal versions (macros do not reach them), so every uv version they name must
be the uv under test (the pin, unless `--uv` names another release); pages name it through
`{{ uv_version }}`, so the literal pin never appears in their prose. Quoted error messages (blocks
marked `reproduces` or `unsafe`) show what uv or GitLab printed and are exempt. `bump_lines` moves
a file's literals from one version to another (`uv run pytest --uv VERSION --bump`).
"""

from __future__ import annotations

import re

from packaging.version import Version

from .drift import Drift, Edit, split_where
from .uv_under_test import UV_BUILD, minor_of, next_minor

# (pattern whose group 1 is a uv version, what the version is)
USES = [
    # YAML `UV_VERSION: "X.Y.Z"`, shell `export UV_VERSION=X.Y.Z`, Dockerfile `ARG UV_VERSION=X.Y.Z`
    (re.compile(r"\bUV_VERSION(?::\s*|=)[\"']?(\d+\.\d+(?:\.\d+)?)"), "UV_VERSION"),
    (re.compile(r"\buv\s*==\s*(\d+\.\d+(?:\.\d+)?)"), "uv pin"),
    (
        re.compile(r"(?:ghcr\.io/astral-sh/uv|(?:docker\.io/)?astral/uv):(\d+\.\d+(?:\.\d+)?)(?!\.?\w)"),
        "image tag",
    ),
    (re.compile(r"required-version\s*=\s*[\"'][=<>~!]*\s*(\d+\.\d+(?:\.\d+)?)"), "required-version"),
    (re.compile(r"astral\.sh/uv/(\d+\.\d+(?:\.\d+)?)/install"), "installer URL"),
    # the input of a CI template or component that passes the uv version (docs/reusable-ci.md)
    (re.compile(r"\buv-version:\s*[\"']?(\d+\.\d+(?:\.\d+)?)"), "uv-version input"),
]
# The default of a `uv-version` input in a `spec:` header, on a line of its own below the input.
INPUT_DEFAULT = (re.compile(r"^\s*default:\s*[\"']?(\d+\.\d+(?:\.\d+)?)"), "uv-version input")
_INPUT = re.compile(r"^(\s*)uv-version:\s*$")
# Literals that may name the minor version instead of the release (`uv:0.13-alpine`).
MINOR_ALLOWED = ("UV_VERSION", "image tag", "required-version", "uv-version input")


def _input_defaults(texts: list[str]) -> set[int]:
    """Indexes of the lines that hold the default of a `uv-version:` input."""
    found, indent = set(), None
    for i, text in enumerate(texts):
        if m := _INPUT.match(text):
            indent = len(m[1])
        elif indent is not None and text.strip():
            if len(text) - len(text.lstrip()) <= indent:
                indent = None
            elif INPUT_DEFAULT[0].match(text):
                found.add(i)
    return found


def _uses(i: int, defaults: set[int]) -> list:
    return [*USES, INPUT_DEFAULT] if i in defaults else USES


def _line_problems(where: str, text: str, uses, pin: str, what_pin: str) -> list[str]:
    minor = minor_of(pin)
    problems = []
    for pattern, what in uses:
        for m in pattern.finditer(text):
            version = m[1]
            if version not in (pin, minor) or (version == minor and what not in MINOR_ALLOWED):
                problems.append(f"{where}: {what} {version} is not {what_pin} {pin} (pyproject.toml)")
    for m in UV_BUILD.finditer(text):
        if (m["lower"], m["upper"]) != (pin, next_minor(pin)):
            problems.append(
                f"{where}: uv_build bounds >={m['lower']},<{m['upper']} are not those of {what_pin} "
                f"{pin}: >={pin},<{next_minor(pin)}"
            )
    return problems


def version_problems(lines: list[tuple[str, str]], pin: str, what_pin: str = "the pinned uv") -> list[str]:
    """Each (where, text) line, in file order, that names a uv version other than `pin` (or its
    X.Y), and uv_build bounds that are not `>=pin,<next minor`."""
    defaults = _input_defaults([text for _, text in lines])
    problems = []
    for i, (where, text) in enumerate(lines):
        problems += _line_problems(where, text, _uses(i, defaults), pin, what_pin)
    return list(dict.fromkeys(problems))  # in line order, each once


def _bump_line(text: str, uses, old: str, new: str) -> str:
    replacements = {old: new, minor_of(old): minor_of(new)}

    def swap(m: re.Match, allowed: bool) -> str:
        version = m[1]
        if version == old or (allowed and version == minor_of(old)):
            start, end = m.span(1)
            return m[0][: start - m.start()] + replacements[version] + m[0][end - m.start() :]
        return m[0]

    for pattern, what in uses:
        text = pattern.sub(lambda m: swap(m, what in MINOR_ALLOWED), text)

    def bounds(m: re.Match) -> str:  # bounds that hold `old` become those of `new`
        held = Version(m["lower"]) <= Version(old) < Version(m["upper"])
        return f"uv_build>={new},<{next_minor(new)}" if held else m[0]

    return UV_BUILD.sub(bounds, text)


def bump_lines(texts: list[str], old: str, new: str) -> list[str]:
    """The lines of a file with every uv literal that names `old` (or its X.Y where a literal may)
    naming `new`, and uv_build bounds that hold `old` set for `new`."""
    defaults = _input_defaults(texts)
    return [_bump_line(text, _uses(i, defaults), old, new) for i, text in enumerate(texts)]


def literal_pin_in_prose(path_name: str, text: str, pin: str) -> list[str]:
    """Lines outside fences of a raw page that spell the pinned version instead of {{ uv_version }}."""
    problems, fence = [], None
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m and fence is None:
            fence = m[1]
        elif fence and re.fullmatch(re.escape(fence[0]) + f"{{{len(fence)},}}", line.strip()):
            fence = None  # a closing fence: the opening's character, at least as long, nothing else
        elif fence is None and re.search(rf"(?<![\d.]){re.escape(pin)}(?!\.?\d)", line):
            problems.append(f"{path_name}:{n}: writes uv {pin} literally; use {{{{ uv_version }}}}")
    return problems


def drift_or_problems(lines: list[tuple[str, str]], pinned: str, version: str) -> tuple[list[Drift], list[str]]:
    """With another uv than the pin under test: the lines whose literals only name the pin (drift,
    each with the edit that moves it to `version`), and the problems left (stale even for the pin)."""
    drifts, problems = [], []
    defaults = _input_defaults([text for _, text in lines])
    moved_lines = bump_lines([text for _, text in lines], pinned, version)
    for i, (where, text) in enumerate(lines):
        found = _line_problems(where, text, _uses(i, defaults), version, "the uv under test")
        if not found:
            continue
        moved = moved_lines[i]
        if moved != text and not _line_problems(where, moved, _uses(i, defaults), version, ""):
            file, line = split_where(where)
            message = f"names uv {pinned}: `{text.strip()}` -> `{moved.strip()}`"
            drifts.append(Drift("literal", where, message, (Edit(file, line, text, moved),)))
        else:
            problems += found
    return drifts, problems

"""Versions have one source: the exact uv pin in pyproject.toml (docs/macros.py reads it).

Snippet files hold literal versions (macros do not reach them), so every uv version they name must
be the pin; pages name it through `{{ uv_version }}`, so the literal pin never appears in their
prose. Quoted error messages (blocks marked `reproduces` or `unsafe`) show what uv or GitLab printed
and are exempt.
"""

from __future__ import annotations

import re

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
]


def version_problems(lines: list[tuple[str, str]], pin: str) -> list[str]:
    """Each (where, text) line that names a uv version other than `pin` (or its X.Y)."""
    minor = ".".join(pin.split(".")[:2])
    problems = []
    for where, text in lines:
        for pattern, what in USES:
            for m in pattern.finditer(text):
                version = m[1]
                if version not in (pin, minor) or (version == minor and what in ("uv pin", "installer URL")):
                    problems.append(f"{where}: {what} {version} is not the pinned uv {pin} (pyproject.toml)")
    return list(dict.fromkeys(problems))  # in line order, each once


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

"""Compare a quoted block of the troubleshooting page with what uv printed.

Wildcards. In a quoted block, these words stand for text that differs between machines and runs:

    <path>   a file system path          <host>   a host name or address, with an optional :port
    <port>   a port number               <size>   a size such as 1.3KiB
    <time>   a duration such as 12ms     <hash>   a hex digest

`https://<host>` (also with a `user:****@` before the host) matches `http://` as well: the local
registry speaks plain HTTP. Every other character must match exactly, line by line; the block's
lines must appear as consecutive lines of the output (a block may quote part of what uv prints).
The expected text is never retyped in a test: it is read from the page.
"""

from __future__ import annotations

import re

from .collect import Example

WILDCARDS = {
    "<path>": r"\S+",
    "<host>": r"[\w.-]+(?::\d+)?",
    "<port>": r"\d+",
    "<size>": r"\d+(?:\.\d+)?\s?[KMGT]?i?B",
    "<time>": r"\d+(?:\.\d+)?(?:ns|µs|us|ms|s)",
    "<hash>": r"[0-9a-f]{7,}",
}
# A URL whose host is a wildcard matches either scheme; `user:****@` before the host stays literal.
_TOKEN_RE = re.compile(r"https://(?P<user>[^\s<>`/@]*@)?<host>|" + "|".join(map(re.escape, WILDCARDS)))
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def line_pattern(line: str) -> re.Pattern:
    """A quoted line as a regex: wildcards become patterns, everything else is literal."""
    parts, pos = [], 0
    for m in _TOKEN_RE.finditer(line):
        parts.append(re.escape(line[pos : m.start()]))
        token = m.group()
        if token.startswith("https://"):
            parts.append(r"https?://" + re.escape(m["user"] or "") + WILDCARDS["<host>"])
        else:
            parts.append(WILDCARDS[token])
        pos = m.end()
    parts.append(re.escape(line[pos:]))
    return re.compile("".join(parts))


def normalise(output: str) -> list[str]:
    """Output lines without colour codes and trailing blanks."""
    return [_ANSI_RE.sub("", line).rstrip() for line in output.splitlines()]


def mismatch(block: Example, output: str) -> str | None:
    """None if the block's lines appear consecutively in `output`, else why not (file:line first)."""
    quoted = [line.rstrip() for line in block.source.splitlines()]
    while quoted and not quoted[-1]:
        quoted.pop()
    if not quoted:
        return f"{block.where()}: the quoted block is empty"
    patterns = [line_pattern(line) for line in quoted]
    lines = normalise(output)
    best, best_at = -1, 0  # longest run of matching lines, and where it stopped in the block
    for start in range(len(lines)):
        n = 0
        while n < len(patterns) and start + n < len(lines) and patterns[n].fullmatch(lines[start + n]):
            n += 1
        if n == len(patterns):
            return None
        if n > best:
            best, best_at = n, n
    printed = "\n".join(f"    | {line}" for line in lines) or "    (nothing)"
    return (
        f"{block.where(best_at)}: uv did not print the quoted line {quoted[best_at]!r}"
        f" (the {best_at} line(s) before it matched)\n  uv printed:\n{printed}"
    )


def assert_shows(block: Example, output: str) -> None:
    """Assert that `output` contains the quoted block."""
    problem = mismatch(block, output)
    assert problem is None, problem

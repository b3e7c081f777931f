"""Compare a quoted block of the troubleshooting page with what uv printed.

Wildcards. In a quoted block, these words stand for text that differs between machines and runs:

    <path>   a file system path          <host>   a host name or address, with an optional :port
    <port>   a port number               <size>   a size such as 1.3KiB
    <time>   a duration such as 12ms     <hash>   a hex digest

`https://<host>` (also with a `user:****@` before the host) matches `http://` as well: the local
registry speaks plain HTTP. Every other character must match exactly, line by line; the block's
lines must appear as consecutive lines of the output (a block may quote part of what uv prints).
The expected text is never retyped in a test: it is read from the page.

With another uv than the pin under test (`--uv`), a block whose lines that uv prints with other
text (the same number of lines, each like its old self) is drift, not a failure: `rewrite` gives the
block as that uv prints it, wildcards kept, and each changed line is noted with the edit `--bump`
writes (harness/drift.py). Later comparisons in the same test (`as_printed`) use the new text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from . import drift
from .collect import Example
from .uv_under_test import current

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


# (page, line) of a block -> its lines as the uv under test prints them, where they differ.
_PRINTED: dict[tuple[str, int], list[str]] = {}


def assert_shows(block: Example, output: str) -> None:
    """Assert that `output` contains the quoted block (or, with another uv under test, note the
    text it prints instead as drift)."""
    problem = mismatch(block, output)
    if problem is None:
        return
    uv = current()
    new = rewrite(block, output) if uv.looking_ahead else None
    assert new is not None, problem
    old = block.source.splitlines()
    for i, (before, after) in enumerate(zip(old, new)):
        if before.rstrip() != after:
            file, line = drift.split_where(block.where(i))
            drift.note(
                drift.Drift(
                    "message",
                    block.where(i),
                    f"uv {uv.version} prints `{after.strip()}` where the page quotes `{before.strip()}`",
                    (drift.Edit(file, line, before.rstrip(), after),),
                )
            )
    _PRINTED[(block.page, block.line)] = new


def as_printed(block: Example) -> Example:
    """The block with the text the uv under test prints, when `assert_shows` found it changed."""
    new = _PRINTED.get((block.page, block.line))
    return replace(block, source="\n".join(new) + "\n") if new else block


# A line that changed must still be recognisably the same line (`Caused by:` -> `cause:`).
SIMILAR = 0.5


def _rewild(quoted: str, printed: str) -> str | None:
    """`printed` with the wildcards of the quoted line where their text is, or None when a
    wildcard's place in the new line cannot be told."""
    tokens = list(_TOKEN_RE.finditer(quoted))
    if not tokens:
        return printed
    marks = [chr(0xE000 + i) for i in range(len(tokens))]
    template, pos = "", 0
    for mark, m in zip(marks, tokens):
        template += quoted[pos : m.start()] + mark
        pos = m.end()
    template += quoted[pos:]
    out = []
    matcher = difflib.SequenceMatcher(None, template, printed, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = template[i1:i2], printed[j1:j2]
        inside = [mark for mark in marks if mark in old]
        if tag == "equal" or not inside:
            out.append(new)
        elif old in marks:  # exactly one wildcard: what it stands for in the new line
            m = tokens[marks.index(old)]
            if not line_pattern(m.group()).fullmatch(new):
                return None
            out.append(m.group())
        else:
            return None
    return "".join(out)


def rewrite(block: Example, output: str) -> list[str] | None:
    """The block's lines as `output` prints them, wildcards kept; None when more than the text of
    its lines changed (a line added or dropped, or a line unlike its old self): a person decides."""
    quoted = [line.rstrip() for line in block.source.splitlines()]
    while quoted and not quoted[-1]:
        quoted.pop()
    lines = normalise(output)
    patterns = [line_pattern(line) for line in quoted]
    best, best_start = 0, None
    for start in range(len(lines) - len(quoted) + 1):
        matched = sum(1 for p, line in zip(patterns, lines[start:]) if p.fullmatch(line))
        if matched > best:
            best, best_start = matched, start
    if best_start is None:
        return None
    new = []
    for line, pattern, printed in zip(quoted, patterns, lines[best_start:]):
        if pattern.fullmatch(printed):
            new.append(line)
            continue
        literal = _TOKEN_RE.sub("", line)
        if difflib.SequenceMatcher(None, literal, printed, autojunk=False).ratio() < SIMILAR:
            return None
        changed = _rewild(line, printed)
        if changed is None or not line_pattern(changed).fullmatch(printed):
            return None
        new.append(changed)
    return new

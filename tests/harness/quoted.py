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


def _quoted_lines(block: Example) -> list[str]:
    quoted = [line.rstrip() for line in block.source.splitlines()]
    while quoted and not quoted[-1]:
        quoted.pop()
    return quoted


def mismatch(block: Example, output: str) -> str | None:
    """None if the block's lines appear consecutively in `output`, else why not (file:line first)."""
    quoted = _quoted_lines(block)
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
    if not uv.looking_ahead:
        raise AssertionError(problem)
    new = rewrite(block, output)
    old = _quoted_lines(block)
    if new is None:  # drift a person must look at: the first line uv no longer prints
        lost = [
            i for i, line in enumerate(old) if line.strip() and mismatch(replace(block, source=line + "\n"), output)
        ]
        at = lost[0] if lost else 0
        drift.note(
            drift.Drift(
                "message",
                block.where(at),
                f"uv {uv.version} no longer prints `{old[at].strip()}` (closest: "
                f"`{closest(old[at], output).strip()}`); more than the text changed: needs a person",
            )
        )
        raise AssertionError(problem)
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


# A line that changed must still be recognisably the same line (`Caused by:` -> `cause:`): most
# of its text is still there, in order.
KEPT = 0.8


def _similarity(quoted: str, printed: str) -> float:
    return difflib.SequenceMatcher(None, _TOKEN_RE.sub("", quoted), printed, autojunk=False).ratio()


def _kept(quoted: str, printed: str) -> float:
    """The share of the quoted line's text (wildcards left out) that the printed line still has."""
    literal = _TOKEN_RE.sub("", quoted)
    blocks = difflib.SequenceMatcher(None, literal, printed, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(literal) if literal else 1.0


def _shared(a: str, b: str) -> int:
    """How many characters of `a` appear in `b`, in order."""
    return sum(m.size for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


def _rewild(quoted: str, printed: str) -> str | None:
    """`printed` with the wildcards of the quoted line put back where their text is: each wildcard
    takes one of the spans of the printed line its pattern matches, in order, chosen so that the
    text between them keeps as much of the quoted line's text as it can. None when a wildcard
    matches nowhere."""
    tokens = list(_TOKEN_RE.finditer(quoted))
    if not tokens:
        return printed
    literals, pos = [], 0
    for m in tokens:
        literals.append(quoted[pos : m.start()])
        pos = m.end()
    literals.append(quoted[pos:])
    spans = [[(f.start(), f.end()) for f in line_pattern(m.group()).finditer(printed)] for m in tokens]
    # best[k][span] = (score, previous span): literal text kept up to and including token k
    best: list[dict] = []
    for k, options in enumerate(spans):
        row = {}
        for start, end in options:
            if k == 0:
                row[(start, end)] = (_shared(literals[0], printed[:start]), None)
                continue
            before = [
                (score + _shared(literals[k], printed[prev[1] : start]), prev)
                for prev, (score, _) in best[k - 1].items()
                if prev[1] <= start
            ]
            if before:
                row[(start, end)] = max(before)
        if not row:
            return None
        best.append(row)
    last = max(best[-1], key=lambda span: best[-1][span][0] + _shared(literals[-1], printed[span[1] :]))
    chosen = [last]
    for k in range(len(tokens) - 1, 0, -1):
        chosen.append(best[k][chosen[-1]][1])
    out, pos = "", 0
    for m, (start, end) in zip(tokens, reversed(chosen)):
        out += printed[pos:start] + m.group()
        pos = end
    return out + printed[pos:]


def rewrite(block: Example, output: str) -> list[str] | None:
    """The block's lines as `output` prints them, wildcards kept; None when more than the text of
    its lines changed (a line added or dropped, or a line unlike its old self): a person decides."""
    quoted = _quoted_lines(block)
    lines = normalise(output)
    patterns = [line_pattern(line) for line in quoted]
    best, best_start = None, None
    for start in range(len(lines) - len(quoted) + 1):
        window = lines[start : start + len(quoted)]
        matched = sum(1 for p, line in zip(patterns, window) if p.fullmatch(line))
        similar = sum(_similarity(q, line) for q, line in zip(quoted, window))
        if best is None or (matched, similar) > best:
            best, best_start = (matched, similar), start
    if best_start is None:
        return None
    new = []
    for line, pattern, printed in zip(quoted, patterns, lines[best_start:]):
        if pattern.fullmatch(printed):
            new.append(line)
            continue
        if _kept(line, printed) < KEPT:
            return None
        changed = _rewild(line, printed)
        if changed is None or not line_pattern(changed).fullmatch(printed):
            return None
        new.append(changed)
    return new


def closest(line: str, output: str) -> str:
    """The printed line most like a quoted one (for a report when the block cannot be rewritten)."""
    lines = [printed for printed in normalise(output) if printed.strip()]
    return max(lines, key=lambda printed: _similarity(line, printed), default="")

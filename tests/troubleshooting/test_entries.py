"""Every entry of the troubleshooting page has its module here, and every module's entry is on it."""

from __future__ import annotations

from harness.entries import PAGE, entries

from troubleshooting import ENTRY_IDS, load
from troubleshooting._reproducer import REPRODUCERS


def test_every_entry_has_a_reproduction():
    load()
    on_page = entries()
    problems = [
        f"{on_page[tid].where if tid in on_page else PAGE + ':1'}: no module in tests/troubleshooting/ "
        f'reproduces {tid} (a test decorated with @reproduces("{tid}"))'
        for tid in sorted(set(ENTRY_IDS) | set(on_page), key=lambda t: int(t[1:]))
        if tid not in REPRODUCERS
    ]
    problems += [
        f'{PAGE}:1: no quoted block is marked reproduces="{tid}" (reproducer at {where})'
        for tid, where in sorted(REPRODUCERS.items())
        if tid not in on_page
    ]
    assert not problems, "\n".join(problems)

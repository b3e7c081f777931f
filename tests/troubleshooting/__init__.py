"""The troubleshooting page in code: one module per entry, in the page's order.

`eNN_tMM_<what>.py` holds entry TMM, the NNth on docs/troubleshooting.md: its reproduction (a test
that builds the failing setup in a sandbox, runs the pinned uv, compares the output with the quoted
blocks and then applies the fix the section shows) and the effect checks of its fix fragments,
which run as pipelines in tests/test_pipelines.py. Entries whose trigger needs a real GitLab server,
a container runtime or an older uv check what can run here and are reported as marked, with the
reason, in the summary.

Shared equipment lives in harness modules, one job each: the page's entries (harness/entries.py),
the wildcard comparison (harness/quoted.py), the fix-fragment job runner (harness/fix_jobs.py),
TLS and HTTPS servers (harness/tls.py, harness/file_server.py) and a PyPI stand-in
(harness/fake_pypi.py). The private modules here hold what several entries share:
`_reproducer.py` (the test protocol), `_in_sandbox.py` (setups for reproductions) and
`_in_pipeline.py` (prepare hooks and checks for effects).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

# Blocks marked reproduces="Tn" are checked here: their text is compared with uv's real output.
CLAIMED_MARKERS = ("reproduces",)
# Every entry the page has had; an entry leaves the page only with its id removed here.
ENTRY_IDS = [f"T{n}" for n in range(1, 24)]
ENTRY_MODULE = re.compile(r"e\d\d_t\d\d_\w+")


def load() -> list[ModuleType]:
    """Import every entry module (registering its reproduction and effect checks), in page order."""
    names = sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)]))
    return [importlib.import_module(f"{__name__}.{n}") for n in names if ENTRY_MODULE.fullmatch(n)]

"""Effects of the fix fragments on docs/troubleshooting.md.

Each lives next to its entry's reproduction, in tests/troubleshooting/eNN_tMM_<what>.py (one module
per entry, in the page's order); importing those modules registers the checks.
"""

from __future__ import annotations

import troubleshooting
from harness.tls import _BACKGROUND as _SERVERS  # noqa: F401  (effects/private_packages.py uses both)
from troubleshooting.e17_t12_git_not_found import _git_server  # noqa: F401

troubleshooting.load()

"""Effects of the fix fragments on docs/troubleshooting.md.

Each lives next to its entry's reproduction, in tests/troubleshooting/eNN_tMM_<what>.py (one module
per entry, in the page's order); importing those modules registers the checks.
"""

from __future__ import annotations

import troubleshooting

troubleshooting.load()

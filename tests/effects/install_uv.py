"""Effects of the pipelines on docs/install-uv.md.

The installer line downloads from the internet, so the runner replaces it with an echo of its reason
and reports it as not run (harness/runner.py NOT_RUNNABLE): nothing here claims that the installer
ran. Astral serves the installer script only from astral.sh, which this machine cannot reach.

What the page says about the lines around it is checked. Before the run, a stand-in is put where
the job tells the installer to put uv (`UV_INSTALL_DIR="$HOME/.local/bin"`, with the sandbox's
HOME): a script that appends its arguments to a log and runs the pinned uv. The sandbox's own uv
stays on PATH behind it, so every later line runs whether or not the page's PATH lines work; only
the log shows which uv each call found. A missing or wrong PATH line leaves its calls out of it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from effects import effect
from effects._common import log_of, sandbox_root
from harness.uv_under_test import current

STAND_IN_LOG = "installed-uv.log"  # in the sandbox root, outside every job's directory


def _stand_in(workdir: Path, registry) -> None:
    root = sandbox_root(workdir)
    bin_dir = root / "home" / ".local" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = shlex.quote(str(root / STAND_IN_LOG))
    script = bin_dir / "uv"
    script.write_text(f'#!/bin/sh\nprintf \'%s\\n\' "$*" >> {log}\nexec {shlex.quote(str(current().binary))} "$@"\n')
    script.chmod(0o755)


def _calls(run) -> list[str]:
    log = sandbox_root(run.workdir) / STAND_IN_LOG
    return log.read_text().splitlines() if log.exists() else []


@effect("snippets/install-uv/standalone-installer.yml", prepare=_stand_in)
def later_lines_find_uv_where_the_installer_puts_it(run):
    log = log_of(run, "test")
    assert 'echo "not runnable here: downloads from the internet"' in run.text, (
        "the installer line was expected to be replaced as not runnable (it downloads from astral.sh)"
    )
    calls = _calls(run)
    assert "--version" in calls, f"`uv --version` in script did not find uv in $HOME/.local/bin: {calls}"
    assert "sync --locked" in calls, f"`uv sync` did not find uv in $HOME/.local/bin: {calls}"
    assert "Ran 2 tests" in log, "unittest did not run the sample's two tests"
    assert "cache prune --ci" in calls, (
        f"after_script's `uv cache prune --ci` did not find uv in $HOME/.local/bin: {calls}"
    )
    assert run.cache_dirs(), "GitLab saved no cache"

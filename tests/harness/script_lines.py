"""The script lines a pipeline shows, and which of them cannot run on this machine.

The runner replaces each line that cannot run with an `echo` of its reason (the rest of the job
still runs), the summary counts them, and the line under an example names them (harness/kinds.py).
Only YAML is needed here, so the site build can describe examples without the checker's tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .gitlab.loader import Map, Reference, Seq, line_of
from .gitlab.model import GLOBAL_KEYWORDS

SCRIPT_KEYS = ("before_script", "script", "after_script")


@dataclass
class ScriptLine:
    job: str  # job (or template) the line belongs to
    text: str
    line: int  # 1-based line within the pipeline text
    reason: str | None = None  # set when the line cannot run here


def not_runnable(uv_version: str, pinned: str | None = None) -> list[tuple[re.Pattern, str]]:
    """Patterns of script lines that cannot run here, each with the reason the report prints;
    `uv_version` is the uv on the jobs' PATH, `pinned` the pin when another uv is under test (a
    line that installs the pin stands for one that installs the uv under test: its literal is
    drift, which the versions check reports)."""
    versions = "|".join(re.escape(v) for v in dict.fromkeys([uv_version, pinned or uv_version]))
    return [
        (re.compile(r"^\s*glab\b", re.M), "glab calls the API of a real GitLab server"),
        (
            re.compile(r"--trusted-publishing[= ]+always|_ID_TOKEN\b"),
            "PyPI trusted publishing needs a GitLab-signed ID token and pypi.org",
        ),
        (
            re.compile(r"^\s*(sudo\s+)?(docker|podman|buildah|/kaniko/executor)\b", re.M),
            "needs a container engine",
        ),
        (
            re.compile(r"^\s*(sudo\s+)?(apt-get|apt|apk|dnf|yum)\s", re.M),
            "installs system packages into the job image; jobs run natively here",
        ),
        (
            re.compile(r"\b(curl|wget)\b[^\n]*https?://(?!127\.0\.0\.1|localhost|\$\{?CI_)"),
            "downloads from the internet",
        ),
        (  # Only uv alone, unpinned or pinned to the uv on PATH: another pin must fail, not pass.
            re.compile(
                r"^\s*(python3?\s+-m\s+)?(pip3?|pipx)\s+install(\s+--?[\w-]+)*"
                rf"\s+([\"']?)uv(==(?:{versions}))?\4\s*$",
                re.M,
            ),
            f"pip downloads uv from PyPI; the sandbox has uv {uv_version} on PATH already",
        ),
        (
            re.compile(r"^\s*uv python install\b", re.M),
            "uv downloads Python builds from Astral's mirror or GitHub; the sandbox has base "
            "Pythons as python3.X instead",
        ),
        (  # Writing the store as root here would change the machine's trusted CAs: never run these.
            re.compile(
                r"\bupdate-ca-(certificates|trust)\b|/usr/local/share/ca-certificates\b"
                r"|/etc/pki/ca-trust\b|>\s*/etc/ssl/certs/"
            ),
            "writes the image's certificate store (here it would be the machine's)",
        ),
    ]


# Jobs publishing with trusted publishing declare an ID token; their `uv publish` cannot run here.
TRUSTED_PUBLISHING = (
    re.compile(r"^\s*uv publish\b", re.M),
    "PyPI trusted publishing needs a GitLab-signed ID token and pypi.org",
)


def _script_items(value, node, job: str) -> list[ScriptLine]:
    """Leaf commands of a script list with their lines; `!reference` items point elsewhere."""
    if isinstance(value, Reference):
        return []
    if isinstance(value, Seq):
        return [item for v, n in zip(value, value.nodes) for item in _script_items(v, n, job)]
    if isinstance(value, str):
        return [ScriptLine(job, value, line_of(node))]
    return []


def script_lines(config: Map) -> list[ScriptLine]:
    """Every script command the pipeline shows: jobs, templates, `default:` and top-level scripts."""
    found: list[ScriptLine] = []
    for key, value in config.items():
        if key in SCRIPT_KEYS:
            found += _script_items(value, config.value_nodes[key], key)
        elif isinstance(value, Map) and (key not in GLOBAL_KEYWORDS or key == "default"):
            for part in SCRIPT_KEYS:
                if part in value:
                    found += _script_items(value[part], value.value_nodes[part], key)
    return found


def jobs_of(config: Map) -> dict[str, int]:
    """Visible jobs -> 1-based line of their key."""
    return {
        k: line_of(config.key_nodes[k])
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYWORDS and not k.startswith(".") and isinstance(v, Map)
    }


def mark_not_runnable(
    config: Map, lines: list[ScriptLine], uv_version: str, pinned: str | None = None
) -> list[ScriptLine]:
    """Set `reason` on each line that cannot run here; returns `lines`."""
    trusted = {k for k, v in config.items() if isinstance(v, Map) and "id_tokens" in v}
    if isinstance(config.get("default"), Map) and "id_tokens" in config["default"]:
        trusted |= set(jobs_of(config))
    patterns = not_runnable(uv_version, pinned)
    for s in lines:
        for pattern, reason in patterns + ([TRUSTED_PUBLISHING] if s.job in trusted else []):
            if pattern.search(s.text):
                s.reason = reason
                break
    return lines

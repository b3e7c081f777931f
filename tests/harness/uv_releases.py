"""Facts about published uv releases: one data file, one loader, one refresh function.

- `data/uv-releases.csv`: every uv release on PyPI with the date of its first upload, newest last.
  `uv run python tests/harness/uv_releases.py` rewrites it from PyPI's JSON API
  (https://docs.pypi.org/api/json/); nothing else in the checker touches the network.
- `IMAGE_FAMILIES`: which Docker image tags uv published for which versions, from uv's Docker docs
  and changelog (shared/research/uv-gitlab-facts.md, section 2), each range with its source.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import sys
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DATA = Path(__file__).with_name("data") / "uv-releases.csv"
PYPI_JSON = "https://pypi.org/pypi/uv/json"


@dataclass(frozen=True, order=True)
class Release:
    key: tuple[int, ...]
    version: str
    published: date


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


@functools.cache
def releases() -> tuple[Release, ...]:
    """Every final uv release, oldest first (pre-releases are not published as images)."""
    with DATA.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        sorted(Release(version_key(r["version"]), r["version"], date.fromisoformat(r["date"])) for r in rows)
    )


def release(version: str) -> Release | None:
    return next((r for r in releases() if r.version == version), None)


def newest() -> Release:
    return releases()[-1]


def newest_of(prefix: str) -> Release | None:
    """The newest release of a series: "0.9" -> the last 0.9.x."""
    return max(
        (r for r in releases() if r.version.startswith(prefix + ".") or r.version == prefix), default=None
    )


def maybe_newer(version: str) -> bool:
    """A version past the newest release in the data, but close enough (this minor or the next) to
    be a release that came out after the data was written: not known, not known to be wrong."""
    key, top = version_key(version), newest().key
    return key > top and key[:2] <= (top[0], top[1] + 1)


def last_before(version: str) -> Release | None:
    """The newest release older than `version`."""
    key = version_key(version)
    return max((r for r in releases() if r.key < key), default=None)


# (tag pattern, first version, first version without it, source), first match wins. A tag is
# published for a uv version v when first <= v < until. Patterns match the tag without a version
# prefix. Sources are astral-sh/uv pull requests and the release each shipped in.
IMAGE_FAMILIES: list[tuple[str, str, str | None, str]] = [
    (r"latest", "0.1.0", None, "the distroless image"),
    (
        r"bookworm|bookworm-slim|python3\.(?:8|9|10|11|12|13)-(?:bookworm|bookworm-slim)|python3\.8-.+",
        "0.4.4",
        "0.10.0",
        "dropped in uv 0.10.0 (astral-sh/uv#17755)",
    ),
    (r"python3\.14-(?:bookworm|bookworm-slim)", "0.7.4", "0.10.0", "dropped in uv 0.10.0 (astral-sh/uv#17755)"),
    (r"alpine3\.20", "0.4.4", "0.6.0", "dropped in uv 0.6.0 (astral-sh/uv#11157)"),
    (r"alpine3\.21", "0.6.0", "0.10.0", "dropped in uv 0.10.0 (astral-sh/uv#17755)"),
    (r"alpine|debian|debian-slim|python3\.(?:9|10|11|12|13)-alpine", "0.4.4", None, "astral-sh/uv#6053"),
    (
        r"trixie|trixie-slim|alpine3\.22|python3\.(?:9|10|11|12|13|14)-(?:trixie|trixie-slim)|python3\.9-alpine3\.22",
        "0.8.12",
        None,
        "trixie and alpine 3.22 images",
    ),
    (r"python3\.14-alpine", "0.7.4", None, "Python 3.14 images"),
    # astral-sh/uv#17100 was merged on 2025-12-12; 0.9.18 (2025-12-16) is the first release after it.
    (r"python3\.(?:10|11|12|13|14)-alpine3\.23", "0.9.18", None, "astral-sh/uv#17100"),
    (r"alpine3\.23", "0.10.0", None, "astral-sh/uv#17128"),
    (
        r"alpine-dhi|alpine3\.23-dhi|debian-dhi|trixie-dhi|python3\.(?:10|11|12|13|14)-dhi",
        "0.10.8",
        None,
        "Docker Hardened Images, astral-sh/uv#18247",
    ),
]


def tag_range(tag: str) -> tuple[str, str | None, str] | None:
    """(first version, first version without it, source) of a tag (without version prefix)."""
    for pattern, first, until, source in IMAGE_FAMILIES:
        if re.fullmatch(pattern, tag):
            return first, until, source
    return None


def published(tag: str, version: str) -> bool:
    """Whether uv `version` was published with image tag `tag` (without version prefix)."""
    span = tag_range(tag)
    if span is None:
        return False
    key = version_key(version)
    return version_key(span[0]) <= key and (span[1] is None or key < version_key(span[1]))


def refresh(url: str = PYPI_JSON, path: Path = DATA) -> int:
    """Rewrite the data file from PyPI's JSON API; returns the number of releases."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        info = json.load(response)
    rows = []
    for version, files in info["releases"].items():
        if not files or not re.fullmatch(r"\d+\.\d+\.\d+", version):
            continue
        uploaded = min(f["upload_time"] for f in files)[:10]
        rows.append((version_key(version), version, uploaded))
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["version", "date"])
        writer.writerows((v, d) for _, v, d in sorted(rows))
    releases.cache_clear()
    return len(rows)


if __name__ == "__main__":
    print(f"{DATA}: {refresh()} releases", file=sys.stderr)

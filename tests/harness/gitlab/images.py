"""uv's Docker images: the tag a job names must exist.

The guide pins the uv it tests, so its images must be published for exactly that uv
(docs/macros.py). A reader may pin any uv: there a tag that was never published is an error, a
floating tag that stopped moving (its family was dropped) is an error naming the uv it is stuck on,
and an old but valid pin is a note saying how old it is (harness/uv_releases.py holds the facts).
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
from pathlib import Path

from .. import uv_releases
from ..uv_under_test import current, minor_of
from .loader import Finding, Map
from .model import GUIDE, VAR_RE, Pipeline, Rules, at, expand, flatten, is_powershell

ROOT = Path(__file__).resolve().parents[3]
UV_IMAGE_RE = re.compile(
    r"^(?:ghcr\.io/astral-sh/uv|(?:docker\.io/)?astral/uv)(?::(?P<tag>[^@\s]+))?(?:@\S+)?$"
)
# A script command that runs uv or uvx (after `cd dir &&`, `time`, `exec`...).
RUNS_UV = re.compile(r"(?:^|[;&|(]\s*|\b(?:exec|time|then|do)\s+)uvx?(?:\s|$)", re.MULTILINE)
VERSIONED_TAG = re.compile(r"(?P<version>\d+\.\d+(?:\.\d+)?)(?:-(?P<rest>.+))?")


@functools.cache
def site_values():
    """docs/macros.py: the pinned uv version and the image tags published for it."""
    if str(ROOT / "docs") not in sys.path:
        sys.path.insert(0, str(ROOT / "docs"))
    import macros

    return macros


def image_problem(ref: str) -> str | None:
    """Why `ref` is not an image uv publishes for the uv under test (None when it is, or not uv's).

    The tag must name the pin (or its X.Y). With another uv under test (`--uv`) it may name that
    uv too (as after `--bump`); a tag that names the pin is then drift the versions check reports
    once, and here the tag is looked up as that uv publishes it (the pin's version swapped for it).
    """
    m = UV_IMAGE_RE.match(ref)
    if not m:
        return None
    macros = site_values()
    uv = current()
    tag = m["tag"] or "latest"
    version = re.match(r"(\d+\.\d+(?:\.\d+)?)(?=-|$)", tag)
    if version and version[1] not in (uv.pinned, minor_of(uv.pinned), uv.version, uv.minor):
        return f"image `{ref}` uses uv {version[1]}: pin the uv version the guide tests: {uv.pinned}"
    rest = tag[version.end() + 1 :] if version else tag
    if version:
        tag = (uv.version if version[1] in (uv.pinned, uv.version) else uv.minor) + tag[version.end() :]
    if tag in macros.image_tags(uv.version) and (rest in ("", "latest") or uv_releases.published(rest, uv.version)):
        return None
    hint = ""
    if "bookworm" in tag:
        hint = " (bookworm images were removed in uv 0.10.0)"
    elif close := difflib.get_close_matches(tag, sorted(macros.image_tags(uv.version)), 1):
        hint = f" (did you mean `{close[0]}`?)"
    return f"image tag `{tag}` is not published for uv {uv.version}{hint}"


def _months(older, newer) -> int:
    return (newer.year - older.year) * 12 + newer.month - older.month


def _suggest(tag: str) -> str:
    current = sorted(site_values().image_tags())
    close = difflib.get_close_matches(tag, current, 1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def reader_image_problem(ref: str) -> tuple[str, str] | None:
    """(level, message) for a uv image in a reader's file: any published uv is fine."""
    m = UV_IMAGE_RE.match(ref)
    if not m:
        return None
    tag = m["tag"] or "latest"
    newest = uv_releases.newest()
    versioned = VERSIONED_TAG.fullmatch(tag)
    if versioned is None:  # a floating tag: it follows the newest uv while its family is published
        span = uv_releases.tag_range(tag)
        if span is None:
            return "error", f"image tag `{tag}` is not a tag uv publishes{_suggest(tag)}"
        first, until, source = span
        if until is not None:
            stuck = uv_releases.last_before(until)
            return "error", (
                f"image tag `{tag}` stopped moving at uv {stuck.version} ({stuck.published}): its images were "
                f"{source}, so this job runs that old uv; pin a published tag such as "
                f"`{newest.version}-{_current_like(tag)}`"
            )
        return None
    version, rest = versioned["version"], versioned["rest"]
    pinned = uv_releases.release(version) if version.count(".") == 2 else uv_releases.newest_of(version)
    if pinned is None and uv_releases.maybe_newer(version):
        return (
            "note",
            f"image `{ref}`: uv {version} is newer than uv {newest.version}, the newest this checker knows",
        )
    if pinned is None:
        return "error", f"image `{ref}`: uv {version} was never released (the newest is {newest.version})"
    if rest is not None and not uv_releases.published(rest, pinned.version):
        span = uv_releases.tag_range(rest)
        if span is None:
            return "error", f"image tag `{tag}`: `{rest}` is not a tag uv publishes{_suggest(rest)}"
        first, until, source = span
        when = f"uv {first} to {uv_releases.last_before(until).version}" if until else f"uv {first} and later"
        return "error", f"image tag `{tag}` was never published: `{rest}` images exist for {when} ({source})"
    if pinned.version != newest.version:
        months = _months(pinned.published, newest.published)
        age = f"{months} months" if months != 1 else "1 month"
        return "note", (
            f"image `{ref}` pins uv {pinned.version} ({pinned.published}), {age} older than uv {newest.version} "
            f"({newest.published}), the newest this checker knows"
        )
    return None


def _current_like(tag: str) -> str:
    """A currently published tag close to a dropped one: bookworm -> trixie, alpine3.21 -> alpine."""
    new = re.sub(r"bookworm", "trixie", tag)
    new = re.sub(r"alpine3\.\d+", "alpine", new)
    new = re.sub(r"python3\.8", "python3.9", new)
    return new if uv_releases.published(new, uv_releases.newest().version) else "python3.12-trixie-slim"


def is_distroless(ref: str) -> bool:
    m = UV_IMAGE_RE.match(ref)
    return bool(m) and re.fullmatch(r"latest|\d+\.\d+(\.\d+)?", m["tag"] or "latest") is not None


def image_name(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def runs_uv(p: Pipeline, name) -> bool:
    """Whether job `name`'s before_script or script runs uv or uvx."""
    lines = (p.resolve(p.defined(name, key)[0]) for key in ("before_script", "script"))
    return any(isinstance(t, str) and RUNS_UV.search(t) for value in lines for t in flatten(value))


def image_findings(p: Pipeline, rules: Rules = GUIDE) -> list[Finding]:
    """uv images must exist (for the pinned uv in the guide), with the block's own variables expanded.

    In the guide, a job that runs uv also names its image (in the job, `default:`, or what it
    extends in the same block): pasted alone, it must not depend on the runner's default image.
    Jobs on Windows runners install uv themselves and run no image; a job extending a template the
    block does not show, or a pipeline with remote includes, may get its image from there.
    """
    found = []
    if not rules.reader and not p.remote:
        for name in p.jobs:
            elsewhere = any(parent not in p.data for parent in p.extends(name))
            if elsewhere or p.defined(name, "image")[1] is not None or is_powershell(p, name):
                continue
            if runs_uv(p, name):
                found.append(
                    at(
                        p.data.key_nodes.get(name),
                        f"job `{name}` runs uv but names no image: pasted alone it runs in the runner's "
                        "default image, which has no uv; give it one (in the job, `default:` or a "
                        "template it extends)",
                    )
                )
    for name in p.contexts() or [None]:
        if name is None:
            owner = p.data.get("default") if isinstance(p.data.get("default"), Map) else p.data
            value, owner = (owner.get("image"), owner) if "image" in owner else (p.data.get("image"), p.data)
        else:
            value, owner = p.defined(name, "image")
        ref = image_name(p.resolve(value))
        if ref is None or owner is None or "image" not in owner.value_nodes:
            continue
        node = owner.value_nodes["image"]
        if isinstance(value, Map) and "name" in value:
            node = value.value_nodes["name"]
        base = p.variables(name)
        has_script = name is not None and p.defined(name, "script")[1] is not None
        for combo in p.matrix(name) if name else [{}]:
            real = expand(ref, {**base, **combo})
            if VAR_RE.search(real) or "$[[" in real:
                continue  # an undefined variable (the variables check reports it) or an input
            if rules.reader:
                level, problem = reader_image_problem(real) or (None, None)
            else:
                level, problem = ("error", image_problem(real)) if image_problem(real) else (None, None)
            if problem:
                found.append(at(node, problem, level))
            if level != "error" and has_script and is_distroless(real):
                m = site_values()
                found.append(
                    at(
                        node,
                        (
                            f"`{real}` is the distroless image: it has no shell, so GitLab cannot run `script:` "
                            f"in it; use a derived tag such as `{m.UV_VERSION}-python{m.PYTHON_VERSION}-{m.BASE_LAYER}`"
                        ),
                    )
                )
    return sorted(set(found))

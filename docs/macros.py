"""Values the pages must not retype: one source for the site (mkdocs-macros) and the checker.

The uv version is read from the exact pin in pyproject.toml, so bumping uv is one edit there.
The image data follows uv's "Available images" list (docs/guides/integration/docker.md) and the
removals of uv 0.10.0 (https://github.com/astral-sh/uv/pull/17755).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pinned_uv() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for requirement in pyproject["dependency-groups"]["checker"]:
        if m := re.fullmatch(r"uv==(\d+\.\d+\.\d+)", requirement):
            return m[1]
    raise LookupError("pyproject.toml: the checker group must pin uv exactly (uv==X.Y.Z)")


UV_VERSION = _pinned_uv()
UV_MINOR = ".".join(UV_VERSION.split(".")[:2])
# The Python the guide's examples use, and the image base it recommends.
PYTHON_VERSION = "3.12"
BASE_LAYER = "trixie-slim"

IMAGE_REPOSITORIES = ("ghcr.io/astral-sh/uv", "docker.io/astral/uv")

# Derived images: base image -> the tags it is published under (without a uv version prefix).
# `git` is present in the buildpack-deps based images only.
_PY = ("3.10", "3.11", "3.12", "3.13", "3.14")
DERIVED_IMAGES: dict[str, dict] = {
    "alpine:3.23": {"tags": ["alpine", "alpine3.23"], "git": False, "python": False},
    "alpine:3.22": {"tags": ["alpine3.22"], "git": False, "python": False},
    "debian:trixie-slim": {"tags": ["debian-slim", "trixie-slim"], "git": False, "python": False},
    "buildpack-deps:trixie": {"tags": ["debian", "trixie"], "git": True, "python": False},
    **{
        f"python:{v}-alpine3.23": {
            "tags": [f"python{v}-alpine", f"python{v}-alpine3.23"],
            "git": False,
            "python": True,
        }
        for v in _PY
    },
    "python:3.9-alpine3.22": {
        "tags": ["python3.9-alpine", "python3.9-alpine3.22"],
        "git": False,
        "python": True,
    },
    **{
        f"python:{v}-trixie": {"tags": [f"python{v}-trixie"], "git": True, "python": True}
        for v in ("3.9", *_PY)
    },
    **{
        f"python:{v}-slim-trixie": {"tags": [f"python{v}-trixie-slim"], "git": False, "python": True}
        for v in ("3.9", *_PY)
    },
}
DERIVED_TAGS = frozenset(tag for image in DERIVED_IMAGES.values() for tag in image["tags"])


def image_tags(uv_version: str = UV_VERSION) -> frozenset[str]:
    """Every tag published for `uv_version` under uv's tag scheme."""
    minor = ".".join(uv_version.split(".")[:2])
    distroless = {"latest", uv_version, minor}
    derived = {f"{prefix}{tag}" for tag in DERIVED_TAGS for prefix in ("", f"{uv_version}-", f"{minor}-")}
    return frozenset(distroless | derived)


def define_env(env) -> None:
    """mkdocs-macros entry point: the variables pages may use."""
    env.variables.update(
        {
            "uv_version": UV_VERSION,
            "uv_minor": UV_MINOR,
            "python_version": PYTHON_VERSION,
            "base_layer": BASE_LAYER,
            "image": f"ghcr.io/astral-sh/uv:{UV_VERSION}-python{PYTHON_VERSION}-{BASE_LAYER}",
            "derived_images": DERIVED_IMAGES,
        }
    )

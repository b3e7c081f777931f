"""What the Dockerfiles on docs/containers.md must leave behind, checked after their build stage ran.

The page's build jobs need a container engine and are marked not runnable; what can run here is
each Dockerfile's build stage, natively (harness/dockerfile.py, build_natively). Each Dockerfile
registers here how to make its build context and what its image must hold; test_dockerfile.py runs
it. The build context is a copy of the sample project; the registry's public index stands in for
PyPI (UV_DEFAULT_INDEX), and for a private index the registry's group index holds acme-utils.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from effects._common import ROOT
from effects.offline_runners import as_single_project, lock, publish_to_mirror
from effects.private_packages import _private_dependency

DOCKERIGNORE = ROOT / "snippets" / "containers" / ".dockerignore"


@dataclass(frozen=True)
class DockerfileCheck:
    key: str  # str(example)
    prepare: Callable  # prepare(context, registry) -> build secrets {id: value}
    check: Callable  # check(build, registry, sandbox); build: harness.dockerfile.NativeBuild
    where: str


DOCKERFILES: dict[str, DockerfileCheck] = {}


def dockerfile(key: str, *, prepare: Callable):
    def register(check: Callable) -> Callable:
        DOCKERFILES[key] = DockerfileCheck(key, prepare, check, f"{check.__module__}.{check.__qualname__}")
        return check

    return register


def _context(context: Path, registry, credentials: bool = False) -> None:
    """The sample as a single project (sample-lib from "PyPI"), locked, with the page's
    .dockerignore and, as a checkout may have them, a .venv and a uv cache that must not reach the
    image."""
    publish_to_mirror(context, registry)
    as_single_project(context)
    lock(context, registry, credentials)
    (context / ".dockerignore").write_text(DOCKERIGNORE.read_text())
    for stray in (".venv", ".uv-cache"):
        (context / stray).mkdir()
        (context / stray / "from-the-checkout").write_text("must not be copied\n")


def _project(context: Path, registry) -> dict[str, str]:
    _context(context, registry)
    return {}


def _private_project(context: Path, registry) -> dict[str, str]:
    """Also acme-utils from the registry's group index, declared as the private-packages page
    declares it (explicit index "gitlab", credentials always): the job token is the build secret."""
    _private_dependency(context, registry)
    _context(context, registry, credentials=True)
    return {"ci_job_token": registry.job_token}


def _installed(step) -> list[str]:
    """The distributions a `uv sync` step installed (its ` + name==version` lines)."""
    return re.findall(r"^ \+ ([\w.-]+)==", step.stderr, re.M)


def _image_holds_only_the_environment(build) -> None:
    files = sorted(p.relative_to(build.root).as_posix() for p in build.root.iterdir())
    assert files == ["app"], f"the image's root holds {files}, not only /app"
    app = sorted(p.name for p in (build.root / "app").iterdir())
    assert app == [".venv"], f"/app holds {app}, not only .venv: the sources reached the runtime stage"
    assert not (build.root / "app/.venv/from-the-checkout").exists(), ".dockerignore did not keep the checkout's .venv out"


def _program_runs(build, sandbox) -> None:
    """The project's command runs from the environment alone (no sources: the install is not editable)."""
    command = build.root / "app/.venv/bin/sample"
    result = subprocess.run([str(command)], env=sandbox.env, capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.strip() == "HELLO, GITLAB!", f"{command} printed {result.stdout!r} {result.stderr.strip()}"


@dockerfile("snippets/containers/Dockerfile", prepare=_project)
def the_image_runs_the_project_from_its_environment(build, registry, sandbox):
    deps, project = build.steps
    assert _installed(deps) == ["sample-lib"], f"the dependencies layer installed {_installed(deps)}"
    assert _installed(project) == ["sample"], f"the project layer installed {_installed(project)}"
    _image_holds_only_the_environment(build)
    # Before anything runs Python in the image (that would write bytecode too).
    compiled = list((build.root / "app/.venv/lib").glob("python3.*/site-packages/sample_lib/__pycache__/*.pyc"))
    assert compiled, "no bytecode in the image: UV_COMPILE_BYTECODE did not take effect"
    _program_runs(build, sandbox)
    assert any(r[1] == "/public/packages/sample_lib-0.1.0-py3-none-any.whl" for r in registry.requests), (
        "sample-lib was not downloaded from the index"
    )


@dockerfile("snippets/containers/private-index.Dockerfile", prepare=_private_project)
def the_private_package_came_with_the_secret_only(build, registry, sandbox):
    deps, project = build.steps
    assert sorted(_installed(deps)) == ["acme-utils", "sample-lib"], f"the dependencies layer installed {_installed(deps)}"
    assert _installed(project) == ["sample"], f"the project layer installed {_installed(project)}"
    _image_holds_only_the_environment(build)
    _program_runs(build, sandbox)
    python = build.root / "app/.venv/bin/python"
    result = subprocess.run([str(python), "-c", "import acme_utils"], env=sandbox.env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"acme-utils is not in the image: {result.stderr.strip()}"
    asked = [r for r in registry.requests if "/groups/" in r[1]]
    refused = [r for r in registry.requests if r[2] not in ("200", "206")]
    assert asked and not refused, f"the group index was not asked with the token: {asked or refused}"
    token = registry.job_token.encode()
    places = [build.root, Path(sandbox.env["UV_CACHE_DIR"])]
    leaked = [p for d in places for p in d.rglob("*") if p.is_file() and token in p.read_bytes()]
    assert not leaked, f"the job token was written to {leaked}"

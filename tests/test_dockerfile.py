"""Every Dockerfile the site shows passes hadolint, its RUN shell parses and passes ShellCheck, it
keeps secrets out of the image, and its build stage runs natively with the effect the page claims;
no build job passes a secret as a build argument. The checks themselves are tested on broken
fixtures (tests/fixtures/dockerfile/), with every expected file:line counted by hand.

A block marked `unsafe` shows what not to do: a secrets finding must reject it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import effects
import pytest
from effects.containers import DOCKERFILES
from harness import dockerfile, shell
from harness.collect import ROOT, Example, examples
from harness.runner import SAMPLE_PROJECT
from harness.uv_under_test import copy_project

LANGUAGES = dockerfile.LANGUAGES

EXAMPLES = dockerfile.site_examples()
CHECKED = [e for e in EXAMPLES if "unsafe" not in e.markers]
UNSAFE = [e for e in EXAMPLES if "unsafe" in e.markers]
SECRET_CODES = ("secret-", "DL3064")  # DL3064: hadolint's "sensitive data in ARG or ENV"
# Job scripts and shell that build an image (where a --build-arg could carry the job token).
BUILDS = re.compile(r"\b(?:docker|buildah|podman)\s+(?:buildx\s+)?(?:build|bud)\b|/kaniko/executor|\bbuildctl")
BUILD_EXAMPLES = [
    e for e in examples() if e.lang in shell.SHELL_LANGS + shell.PIPELINE_LANGS and "unsafe" not in e.markers
    and BUILDS.search(e.source)
]

FIXTURES = Path(__file__).parent / "fixtures" / "dockerfile"
REL = FIXTURES.relative_to(ROOT).as_posix()


def _findings(example: Example) -> list[shell.Finding]:
    return dockerfile.site_findings()[str(example)]


def _assert_none(found: list[shell.Finding]) -> None:
    for style in (f for f in found if f not in dockerfile.failures(found)):
        warnings.warn(str(style), stacklevel=2)
    problems = dockerfile.failures(found)
    assert not problems, "\n".join(map(str, problems))


def _is_secret(finding: shell.Finding) -> bool:
    return finding.code.startswith(SECRET_CODES)


@pytest.mark.parametrize("example", CHECKED, ids=str)
def test_hadolint(example, record_property):
    record_property("check", "hadolint")
    record_property("example", str(example))
    _assert_none([f for f in _findings(example) if f.code.startswith("DL") or f.code == "hadolint"])


@pytest.mark.parametrize("example", CHECKED, ids=str)
def test_run_shell(example, record_property):
    """bash -n and ShellCheck on the shell of every RUN, findings at their own line."""
    record_property("check", "dockerfile-shell")
    record_property("example", str(example))
    _assert_none([f for f in _findings(example) if f.code.startswith("SC") or f.code == "bash-n"])


@pytest.mark.parametrize("example", CHECKED, ids=str)
def test_no_secret_in_the_image(example, record_property):
    record_property("check", "dockerfile-secrets")
    record_property("example", str(example))
    _assert_none([f for f in _findings(example) if _is_secret(f)])


@pytest.mark.parametrize("example", UNSAFE, ids=str)
def test_unsafe_is_rejected(example, record_property):
    record_property("check", "unsafe")
    record_property("example", str(example))
    rejected = [str(f) for f in _findings(example) if _is_secret(f)]
    record_property("rejected_by", rejected)
    assert rejected, f"{example.where(-1)}: marked unsafe ({example.markers.get('reason')}), but no secrets rule rejects it"


@pytest.mark.parametrize("example", BUILD_EXAMPLES, ids=str)
def test_no_secret_build_arg(example, record_property):
    record_property("check", "build-secrets")
    record_property("example", str(example))
    found = dockerfile.build_arg_findings(example)
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("example", CHECKED, ids=str)
def test_build_stage_runs(example, sandbox, registry, record_property):
    """The build stage runs natively against the sample project; the image holds what the page says."""
    record_property("check", "dockerfile-build")
    record_property("example", str(example))
    effects.load()
    registered = DOCKERFILES.get(str(example))
    if registered is None:
        pytest.fail(
            f"{example.where(0)}: no check of what the image holds; register one with "
            f"@dockerfile({str(example)!r}) in tests/effects/{_page_module(example)}.py",
            pytrace=False,
        )
    context = _context(sandbox)
    build_secrets = registered.prepare(context, registry)
    registry.requests.clear()  # what the build asks, without what preparing its context asked
    build = dockerfile.build_natively(
        example, context, sandbox.root / "image", sandbox,
        env={"UV_DEFAULT_INDEX": registry.public_index_url}, build_secrets=build_secrets,
    )
    if not build.ok:
        pytest.fail(build.problem, pytrace=False)
    try:
        registered.check(build, registry, sandbox)
    except AssertionError as exc:
        pytest.fail(f"{example.where(0)}: the build stage ran but {registered.where} failed: {exc}", pytrace=False)


def _page_module(example: Example) -> str:
    return example.page.split("/")[-1].removesuffix(".md").replace("-", "_")


def _context(sandbox) -> Path:
    context = sandbox.root / "work" / "context"
    return copy_project(SAMPLE_PROJECT, context)


# --- the checks on broken fixtures ----------------------------------------------------------------


@pytest.fixture(autouse=False)
def _checker(record_property):
    record_property("check", "dockerfile-checker")


def fixture(name: str, lang: str = "dockerfile") -> Example:
    """A fixture file as a whole-file example: source line i is line i + 1 of the file."""
    rel = f"{REL}/{name}"
    text = (FIXTURES / name).read_text()
    origins = tuple((rel, n) for n in range(1, len(text.splitlines()) + 1))
    return Example(page=rel, line=1, lang=lang, info=lang, source=text, origins=origins)


def codes(example: Example) -> list[tuple[str, str]]:
    return [(f.where, f.code) for f in dockerfile.lint_all([example])[str(example)]]


def test_hadolint_findings_at_their_lines(_checker):
    f = f"{REL}/hadolint.Dockerfile"
    assert codes(fixture("hadolint.Dockerfile")) == [(f"{f}:1", "DL3007"), (f"{f}:3", "DL3003")]


def test_run_shell_findings_at_the_line_inside_the_instruction(_checker):
    """SC2086 on the third line of a continued RUN, bash -n on the RUN that never closes its `if`."""
    found = codes(fixture("run-shell.Dockerfile"))
    f = f"{REL}/run-shell.Dockerfile"
    assert (f"{f}:4", "SC2086") in found
    assert any(where == f"{f}:6" and code == "bash-n" for where, code in found), found
    assert all(not code.startswith("SC") or where != f"{f}:2" for where, code in found), "a finding on the RUN line itself"


def test_secrets_in_arg_env_and_run_are_rejected(_checker):
    f = f"{REL}/secrets.Dockerfile"
    found = [(where, code) for where, code in codes(fixture("secrets.Dockerfile")) if code.startswith(SECRET_CODES)]
    assert found == [
        (f"{f}:2", "DL3064"),
        (f"{f}:2", "secret-build-arg"),
        (f"{f}:3", "DL3064"),
        (f"{f}:3", "secret-build-arg"),
        (f"{f}:5", "secret-print"),  # a continued command is read as one, from its first line
    ]


def test_build_args_carrying_a_secret_are_rejected(_checker):
    """A secret name, a value expanding a secret variable; not a plain name next to --secret."""
    f = f"{REL}/build-arg.yml"
    found = [(x.where, x.code) for x in dockerfile.build_arg_findings(fixture("build-arg.yml", "yaml"))]
    assert found == [(f"{f}:4", "secret-build-arg"), (f"{f}:5", "secret-build-arg")]


def test_the_dependencies_step_fails_on_a_workspace(_checker, sandbox, registry):
    """The page's Dockerfile on the sample as it is, a workspace: the first uv sync sees only the root
    pyproject.toml and uv.lock and stops, as the page's note on workspaces says."""
    example = next(e for e in CHECKED if str(e) == "snippets/containers/Dockerfile")
    build = dockerfile.build_natively(
        example, _context(sandbox), sandbox.root / "image", sandbox, env={"UV_DEFAULT_INDEX": registry.public_index_url}
    )
    first_run = next(i for i in dockerfile.instructions(example.source) if i.keyword == "RUN")
    assert build.problem is not None, "the build of a workspace passed"
    assert build.problem.startswith(f"{example.where(first_run.line)}: RUN exited 1"), build.problem
    assert "is not a workspace member" in build.problem, build.problem

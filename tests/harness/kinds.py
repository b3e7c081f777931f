"""What the checks do with each block the site shows, and the line that tells readers so.

One classification for the site and the suite: docs/hooks.py renders `describe(...).line` under
every example, and the checks pick their examples with `kind()` (test_pipelines.py runs the
PIPELINE ones, test_toml.py locks the TOML_UV ones). A wording that says more than the checks do is
therefore a bug in one place, and test_example_lines.py compares every rendered line with this.

A block is anything with `lang`, `title`, `markers` and `source`: a collected `Example`, or the
hook's view of a fence before the site renders it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Protocol

PIPELINE = "pipeline"  # runs in gitlab-ci-local against the local registry (test_pipelines.py)
PIPELINE_NOT_RUN = "pipeline-not-run"  # a pipeline marked not-runnable: static checks only
YAML = "yaml"  # GitLab CI YAML that is neither a pipeline nor a fragment: static checks
YAML_FILE = "yaml-file"  # YAML titled with another file name (mkdocs.yml, ...): loaded only
SHELL = "shell"  # bash -n and ShellCheck (test_shell.py)
TOML_UV = "toml-uv"  # pyproject.toml / uv.toml content: parsed and locked by uv (test_toml.py)
TOML = "toml"  # other TOML: parsed
PYTHON = "python"  # ruff, then run (test_python.py)
DOCKERFILE = "dockerfile"  # hadolint, ShellCheck on RUN, build stage run natively (test_dockerfile.py)
REPRODUCED = "reproduced"  # a quoted message, reproduced with uv (test_troubleshooting.py)
QUOTED = "quoted"  # a quoted message whose trigger cannot be reproduced: the marker says why
UNSAFE = "unsafe"  # what not to do: the checks must reject it (test_secrets.py, test_yaml.py)
OUTPUT = "output"  # the output of the block before it, compared with that block's run
TEXT = "text"  # plain text, shown as is
DIAGRAM = "diagram"  # a mermaid figure, not an example: no line

SHELL_LANGS = ("bash", "sh", "shell", "console")
PIPELINE_LANGS = ("yaml", "yml")
PYTHON_LANGS = ("python", "py")
DOCKERFILE_LANGS = ("dockerfile",)
# Kinds whose blocks the site shows without checking them; a language some test module claims
# must not end up here (test_example_lines.py).
UNCHECKED = (TEXT,)


class Block(Protocol):
    lang: str
    title: str | None
    markers: dict[str, str]
    source: str


@dataclass(frozen=True)
class Check:
    kind: str
    line: str | None  # what readers see under the block; None: no line (diagrams)


def toml_for_uv(source: str) -> bool:
    """TOML with a `[project]` or `[tool.uv]` table: settings the pinned uv must accept."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError:
        return False
    return "project" in data or "uv" in data.get("tool", {})


def _pipeline_file(block: Block) -> bool:
    from .gitlab.files import kinds_for

    # a titled YAML file other than a pipeline, or a CI file pipelines include, is only loaded
    return len(kinds_for(block.title, block.source)) > 1


def kind(block: Block) -> str:
    """The kind of check `block` gets; see the constants above."""
    markers, lang = block.markers, block.lang
    if "unsafe" in markers:
        return UNSAFE
    if "reproduces" in markers:
        return QUOTED if "not-runnable" in markers else REPRODUCED
    if "output" in markers:
        return OUTPUT
    if lang in PIPELINE_LANGS:
        if block.title == ".gitlab-ci.yml" or "fragment" in markers:
            return PIPELINE_NOT_RUN if "not-runnable" in markers else PIPELINE
        return YAML if _pipeline_file(block) else YAML_FILE
    if lang in SHELL_LANGS:
        return SHELL
    if lang == "toml":
        return TOML_UV if toml_for_uv(block.source) else TOML
    if lang in PYTHON_LANGS:
        return PYTHON
    if lang in DOCKERFILE_LANGS:
        return DOCKERFILE
    if lang == "mermaid":
        return DIAGRAM
    return TEXT


def is_pipeline(block: Block) -> bool:
    """A pipeline example: it runs, or says in its marker why it cannot."""
    return kind(block) in (PIPELINE, PIPELINE_NOT_RUN)


def lines_not_run(source: str, uv_version: str) -> list[str]:
    """First lines of the script commands the runner replaces because they cannot run here."""
    from .gitlab.loader import Map, YAMLProblem, load
    from .script_lines import mark_not_runnable, script_lines

    try:
        config = load(source)
    except YAMLProblem:
        return []
    if not isinstance(config, Map):
        return []
    lines = mark_not_runnable(config, script_lines(config), uv_version)
    return list(dict.fromkeys(s.text.split("\n", 1)[0].strip() for s in lines if s.reason))


def _code(text: str, limit: int = 48) -> str:
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return f"`{text}`"


def _reason(block: Block) -> str:
    return block.markers.get("reason", "").strip().rstrip(".")


def describe(block: Block, uv_version: str) -> Check:
    """The kind of `block` and the sentence the site shows under it."""
    k = kind(block)
    ran = f"Ran with uv {uv_version} against a local GitLab-style registry"
    static = "Checked against GitLab's CI schema and with ShellCheck"
    if k == PIPELINE:
        skipped = lines_not_run(block.source, uv_version)
        line = f"{ran}, except {', '.join(map(_code, skipped))}." if skipped else f"{ran}."
    elif k == PIPELINE_NOT_RUN:
        line = f"{static}; not run: {_reason(block)}."
    elif k == YAML:
        line = f"{static}."
    elif k == YAML_FILE:
        line = "Parsed as YAML."
    elif k == SHELL:
        line = "Checked with bash -n and ShellCheck."
        if "not-runnable" in block.markers:
            line = f"Checked with bash -n and ShellCheck; not run: {_reason(block)}."
    elif k == TOML_UV:
        line = f"Locked with uv {uv_version}."
    elif k == TOML:
        line = "Parsed as TOML."
    elif k == PYTHON:
        line = f"Passes ruff; ran with uv {uv_version}."
    elif k == DOCKERFILE:
        line = f"Checked with hadolint and ShellCheck; its uv steps ran with uv {uv_version}."
    elif k == REPRODUCED:
        line = f"Reproduced with uv {uv_version}."
    elif k == QUOTED:
        line = f"Quoted, not reproduced: {_reason(block)}."
    elif k == UNSAFE:
        line = f"What not to do: {_reason(block)}."
    elif k == OUTPUT:
        line = "Output of the example above, compared with its run."
    elif k == DIAGRAM:
        line = None
    else:
        line = "Shown as is; not checked."
    return Check(k, line)

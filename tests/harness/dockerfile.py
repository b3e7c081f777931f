"""Dockerfiles the site shows: hadolint, the shell of every RUN, build secrets, and the uv steps run.

Static checks, every finding at the file:line a reader would fix:
  hadolint     its own rules (DLxxxx) on each Dockerfile, all files in one process. hadolint also
               runs ShellCheck on RUN commands but reports the instruction's first line only, so
               its SC findings are dropped for the next check, which maps every line
  RUN shell    the shell of each RUN instruction (flags such as --mount taken off, continuation
               lines kept) through `bash -n` and ShellCheck (harness/shell.py), in the dialect of
               the stage's SHELL (`/bin/sh` unless a SHELL instruction names bash)
  secrets      `ARG`/`ENV` of a secret name (secret-build-arg: a build argument is kept in the
               image's history, https://docs.docker.com/build/building/secrets/), the job-script
               rules of harness/secrets.py on each RUN, and `--build-arg` passing a secret in a
               job script (build_arg_findings)

The build stage run natively (build_natively): the stage that copies uv from its image runs on
this machine, instruction by instruction, in a directory standing for the image's file system
(`/app` is `<root>/app`). WORKDIR, ENV, ARG and COPY from the build context (minus what the
context's .dockerignore names) act on that directory; RUN runs with `/bin/sh -c` and the pinned
uv. A cache mount is the sandbox's uv cache, shared by the RUN steps as BuildKit shares a cache
mount between builds; a bind mount copies a context file in for the one RUN; a secret mount
writes the secret to `<root>/run/secrets/<id>` (or its target) for the one RUN, and the RUN's
command names that path. The image's Python is the sandbox's copy of the version in
`FROM python:X.Y...`. Later stages keep only what they `COPY --from=<build stage>`, at the same
paths: the rest of the build stage is deleted, as it is absent from the final image.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import secrets, shell
from .collect import Example
from .kinds import DOCKERFILE_LANGS as LANGUAGES
from .sandbox import CLOSED_PROXY

HADOLINT = Path(sys.executable).with_name("hadolint")
DEFAULT_SHELL = ("#!/bin/sh",)
UV_IMAGE = re.compile(r"^(?:ghcr\.io/astral-sh/uv|(?:docker\.io/)?astral/uv)(?::|@|$)")
BUILD_ARG_FLAGS = ("--build-arg", "--opt")  # docker/buildah/podman/kaniko; buildctl's --opt build-arg:


@dataclass(frozen=True)
class Instruction:
    """One instruction: continuation lines joined, comment lines inside it left out (as Docker does)."""

    keyword: str  # upper case: FROM, RUN, COPY, ...
    flags: tuple[str, ...]  # --mount=..., --from=..., as written
    body: tuple[tuple[str, int], ...]  # the arguments after the flags: (text, 0-based source line)
    line: int  # 0-based source line of the keyword

    @property
    def args(self) -> str:
        """The arguments as one line (continuation backslashes removed)."""
        return " ".join(text.rstrip().removesuffix("\\").strip() for text, _ in self.body).strip()

    def flag(self, name: str) -> list[str]:
        """Values of `--name=value` flags."""
        return [f.split("=", 1)[1] for f in self.flags if f.startswith(f"--{name}=")]


def instructions(source: str) -> list[Instruction]:
    lines = source.splitlines()
    found, i = [], 0
    while i < len(lines):
        if not lines[i].strip() or lines[i].lstrip().startswith("#"):
            i += 1
            continue
        part = [(lines[i], i)]
        while part[-1][0].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            if lines[i].strip() and not lines[i].lstrip().startswith("#"):
                part.append((lines[i], i))
        i += 1
        keyword, _, rest = part[0][0].strip().partition(" ")
        flags, body = [], []
        for text, n in [(rest, part[0][1]), *part[1:]]:
            if body:
                body.append((text, n))
                continue
            text = text.strip()
            while text.startswith("--"):
                flag, _, text = text.partition(" ")
                flags.append(flag)
                text = text.lstrip()
            if text not in ("", "\\"):
                body.append((text, n))
        found.append(Instruction(keyword.upper(), tuple(flags), tuple(body), part[0][1]))
    return found


# --- static checks ------------------------------------------------------------------------------


def hadolint(examples: list[Example]) -> dict[str, list[shell.Finding]]:
    """hadolint's own findings (DLxxxx) per example, one process for all files."""
    results: dict[str, list[shell.Finding]] = {str(e): [] for e in examples}
    with tempfile.TemporaryDirectory(prefix="hadolint-") as tmp:
        names = {}
        for i, example in enumerate(examples):
            name = f"{i:04d}.Dockerfile"
            (Path(tmp) / name).write_text(example.source)
            names[name] = example
        # A bare environment: no configuration file from the machine's HOME or XDG dirs.
        env = {"PATH": os.defpath, "HOME": tmp, "XDG_CONFIG_HOME": tmp}
        proc = subprocess.run(
            [str(HADOLINT), "--no-fail", "--no-color", "-f", "json", *names],
            cwd=tmp, env=env, capture_output=True, text=True, check=False,
        )
        try:
            comments = json.loads(proc.stdout or "[]")
        except ValueError:
            problem = " ".join((proc.stderr or proc.stdout or f"exit {proc.returncode}").split())
            for example in examples:
                results[str(example)].append(shell.Finding(example.where(-1), "hadolint", f"did not run: {problem}"))
            return results
    for c in comments:
        if c["code"].startswith("SC"):
            continue  # run_findings runs ShellCheck on each RUN with every line mapped
        example = names[c["file"]]
        results[str(example)].append(
            shell.Finding(example.where(c["line"] - 1), c["code"], c["message"], c["level"])
        )
    return results


def run_scripts(example: Example) -> list[shell.Script]:
    """The shell of every RUN in shell form, each line with the doc file:line it came from."""
    scripts, header = [], DEFAULT_SHELL
    for inst in instructions(example.source):
        if inst.keyword == "FROM":
            header = DEFAULT_SHELL
        elif inst.keyword == "SHELL":
            try:
                argv = json.loads(inst.args)
            except ValueError:
                continue  # hadolint reports the malformed instruction
            if argv and Path(argv[0]).name == "bash":
                header = ("#!/usr/bin/env bash", *(["set -o pipefail"] if "pipefail" in argv else []))
        elif inst.keyword == "RUN" and inst.body and not inst.body[0][0].startswith("["):
            lines = tuple((h, None) for h in header) + tuple((t, example.where(n)) for t, n in inst.body)
            scripts.append(shell.Script(str(example), f"RUN at {example.where(inst.line)}", lines, example.where(inst.line)))
    return scripts


def run_findings(example: Example, workdir: Path) -> list[shell.Finding]:
    """bash -n and ShellCheck on each RUN."""
    scripts = run_scripts(example)
    found = [f for script in scripts for f in shell.bash_n(script, workdir)]
    return found + [f for findings in shell.shellcheck(scripts, workdir) for f in findings]


def secret_findings(example: Example) -> list[shell.Finding]:
    """ARG/ENV of a secret name, and the job-script secret rules on each RUN."""
    found = []
    for inst in instructions(example.source):
        if inst.keyword not in ("ARG", "ENV"):
            continue
        try:
            words = shlex.split(inst.args) if inst.keyword == "ARG" or "=" in inst.args else inst.args.split()[:1]
        except ValueError:  # unbalanced quotes: hadolint reports the instruction
            words = inst.args.split()
        for word in words:
            name = word.split("=", 1)[0]
            if secrets.is_secret(name):
                found.append(
                    shell.Finding(
                        example.where(inst.line),
                        "secret-build-arg",
                        f"{inst.keyword} {name}: its value stays in the image (history and metadata); "
                        "pass it as a build secret, RUN --mount=type=secret",
                    )
                )
    for script in run_scripts(example):
        found += secrets.script_problems(script.body)
    return found


def build_arg_findings(example: Example) -> list[shell.Finding]:
    """`--build-arg NAME[=VALUE]` (and buildctl's `--opt build-arg:NAME=VALUE`) with a secret name
    or a value expanding a secret variable, in the example's job scripts or shell."""
    scripts, _ = shell.extract(example)
    found = []
    for script in scripts:
        for command in shell.commands(script.body):
            words = command.words
            for k, word in enumerate(words):
                value = None
                if word.startswith("--build-arg="):
                    value = word.split("=", 1)[1]
                elif word in BUILD_ARG_FLAGS and k + 1 < len(words):
                    value = words[k + 1].strip("'\"")
                    if word == "--opt":
                        value = value.removeprefix("build-arg:") if value.startswith("build-arg:") else None
                if value is None:
                    continue
                name, _, assigned = value.strip("'\"").partition("=")
                named = [v for v in re.findall(r"\$\{?(\w+)", assigned) if secrets.is_secret(v)]
                if secrets.is_secret(name) or named:
                    found.append(
                        shell.Finding(
                            command.where,
                            "secret-build-arg",
                            f"--build-arg {name}: a build argument stays in the image's history; pass "
                            f"${(named or [name])[0]} as a build secret (--secret id=...,env=...)",
                        )
                    )
    return found


def lint_all(examples: Iterable[Example]) -> dict[str, list[shell.Finding]]:
    """Every static finding per Dockerfile example: hadolint, RUN shell, secrets."""
    examples = list(examples)
    results = hadolint(examples)
    with tempfile.TemporaryDirectory(prefix="dockerfile-shell-") as tmp:
        for example in examples:
            results[str(example)] += run_findings(example, Path(tmp)) + secret_findings(example)
    return {k: sorted(set(v), key=_line_key) for k, v in results.items()}


def _line_key(finding: shell.Finding) -> tuple:
    file, _, line = finding.where.rpartition(":")
    return (file, int(line) if line.isdigit() else 0, finding.code, finding.message)


def failures(findings: Iterable[shell.Finding]) -> list[shell.Finding]:
    """Findings that fail a test: hadolint's and ShellCheck's style level only warns."""
    return [f for f in findings if f.level in shell.FAIL_LEVELS]


def site_examples() -> list[Example]:
    from .collect import examples

    return [e for e in examples() if e.lang in LANGUAGES]


@functools.cache
def site_findings() -> dict[str, list[shell.Finding]]:
    return lint_all(site_examples())


# --- the build stage, run natively --------------------------------------------------------------


@dataclass
class NativeBuild:
    root: Path  # the image's file system: after the build, what the last stage holds
    steps: list[subprocess.CompletedProcess] = field(default_factory=list)  # each RUN, in order
    problem: str | None = None  # "file:line: ..." when the build stops

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Stop(Exception):
    pass


def _stages(insts: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for inst in insts:
        if inst.keyword == "FROM":
            stages.append([])
        if stages:  # an ARG before the first FROM belongs to no stage
            stages[-1].append(inst)
    return stages


def _stage_name(stage: list[Instruction]) -> str | None:
    words = stage[0].args.split() if stage and stage[0].keyword == "FROM" else []
    return words[2] if len(words) == 3 and words[1].upper() == "AS" else None


def _ignored(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    return [line.strip().strip("/") for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _copy_context(context: Path, sources: list[str], dest: Path) -> None:
    """COPY from the build context: files and directories, minus what .dockerignore names."""
    patterns = _ignored(context)

    def ignore(directory: str, names: list[str]) -> list[str]:
        rel = Path(directory).relative_to(context)
        return [n for n in names if any(fnmatch.fnmatch((rel / n).as_posix(), p) for p in patterns)]

    for source in sources:
        src = (context / source).resolve()
        if src == context.resolve():
            shutil.copytree(src, dest, ignore=ignore, symlinks=True, dirs_exist_ok=True)
        elif src.is_dir():
            shutil.copytree(src, dest / src.name if len(sources) > 1 else dest, ignore=ignore, dirs_exist_ok=True)
        else:
            target = dest / src.name if str(dest).endswith("/") or dest.is_dir() else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _expand(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m[1], ""), text)


def _mounts(inst: Instruction) -> list[dict[str, str]]:
    return [dict(part.split("=", 1) if "=" in part else (part, "") for part in m.split(",")) for m in inst.flag("mount")]


def build_natively(
    example: Example, context: Path, root: Path, sandbox, *, env: dict[str, str] | None = None,
    build_secrets: dict[str, str] | None = None,
) -> NativeBuild:
    """Run the build stage of `example` (the stage that copies uv in) with `context` as the build
    context; `env` adds to the sandbox's environment (an index URL), `build_secrets` are the build secrets by id."""
    build = NativeBuild(root)
    stages = _stages(instructions(example.source))
    index = next(
        (k for k, s in enumerate(stages) if any(i.keyword == "COPY" and any(UV_IMAGE.match(f) for f in i.flag("from")) for i in s)),
        None,
    )
    if index is None:
        build.problem = f"{example.where(-1)}: no stage copies uv from its image (COPY --from=ghcr.io/astral-sh/uv:...)"
        return build
    stage = stages[index]
    # As in a pipeline run (harness/runner.py): a request for anything but loopback goes to a closed port.
    proxies = {k: CLOSED_PROXY for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    stage_env = {**sandbox.env, **proxies, "NO_PROXY": "127.0.0.1,localhost,::1", **(env or {})}
    workdir = Path("/")
    root.mkdir(parents=True, exist_ok=True)
    try:
        for inst in stage:
            where = example.where(inst.line)
            if inst.keyword == "FROM":
                m = re.match(r"(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)", inst.args)
                python = sandbox.image_python(m[1]) if m else None
                if python is None:
                    raise _Stop(f"{where}: the sandbox has no Python for the base image {inst.args.split()[0]}")
                stage_env["PATH"] = f"{python}{os.pathsep}{stage_env['PATH']}"
            elif inst.keyword == "ENV":
                for word in shlex.split(inst.args):
                    name, _, value = word.partition("=")
                    stage_env[name] = _expand(value, stage_env)
            elif inst.keyword == "ARG":
                name, _, value = inst.args.partition("=")
                stage_env.setdefault(name, value)
            elif inst.keyword == "WORKDIR":
                workdir = workdir / _expand(inst.args, stage_env)
                (root / workdir.relative_to("/")).mkdir(parents=True, exist_ok=True)
            elif inst.keyword == "COPY" and inst.flag("from"):
                if not all(UV_IMAGE.match(f) for f in inst.flag("from")):
                    raise _Stop(f"{where}: COPY --from another image than uv's cannot run here")
            elif inst.keyword == "COPY":
                *sources, dest = shlex.split(inst.args)
                _copy_context(context, sources, root / (workdir / dest).relative_to("/"))
            elif inst.keyword == "RUN":
                _run(inst, where, build, context, root, workdir, stage_env, build_secrets or {})
            elif inst.keyword not in ("LABEL", "EXPOSE", "USER", "CMD", "ENTRYPOINT", "STOPSIGNAL", "HEALTHCHECK"):
                raise _Stop(f"{where}: {inst.keyword} is not run natively here")
        _keep_what_later_stages_copy(example, stages, index, root)
    except _Stop as stop:
        build.problem = str(stop)
    return build


def _run(inst: Instruction, where: str, build: NativeBuild, context: Path, root: Path, workdir: Path,
         env: dict[str, str], secret_values: dict[str, str]) -> None:
    command = "\n".join(text for text, _ in inst.body)
    cwd = root / workdir.relative_to("/")
    run_env, placed, shadowed = dict(env), [], []
    for mount in _mounts(inst):
        kind = mount.get("type", "bind")
        if kind == "cache":
            continue  # the sandbox's uv cache (UV_CACHE_DIR), kept between RUN steps
        if kind == "bind":
            target = cwd / mount["target"] if not mount["target"].startswith("/") else root / mount["target"][1:]
            if target.exists():  # the mount hides it for this RUN only
                shadowed.append((target, target.rename(target.with_name(target.name + ".under-mount"))))
            shutil.copy2(context / mount["source"], target)
            placed.append(target)
        elif kind == "secret":
            if mount["id"] not in secret_values:
                raise _Stop(f"{where}: no value for the build secret {mount['id']!r}")
            if "env" in mount:
                run_env[mount["env"]] = secret_values[mount["id"]]
            if "target" in mount or "env" not in mount:
                path = mount.get("target") or f"/run/secrets/{mount['id']}"
                file = root / path.lstrip("/")
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(secret_values[mount["id"]])
                placed.append(file)
                command = command.replace(path, str(file))
        else:
            raise _Stop(f"{where}: a {kind} mount is not run natively here")
    try:
        result = subprocess.run(
            ["/bin/sh", "-c", command], cwd=cwd, env=run_env, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        for path in placed:
            path.unlink(missing_ok=True)
        for path, hidden in shadowed:
            hidden.rename(path)
    build.steps.append(result)
    if result.returncode != 0:
        output = "\n".join("    " + line for line in (result.stdout + result.stderr).strip().splitlines()[-15:])
        raise _Stop(f"{where}: RUN exited {result.returncode}\n{output}")


def _keep_what_later_stages_copy(example: Example, stages: list[list[Instruction]], index: int, root: Path) -> None:
    """The final image holds only what later stages COPY --from the build stage, at the same paths."""
    names = {str(index), _stage_name(stages[index])}
    kept = root.with_name(root.name + "-kept")
    for stage in stages[index + 1 :]:
        for inst in stage:
            if inst.keyword == "COPY" and any(f in names for f in inst.flag("from")):
                *sources, dest = shlex.split(inst.args)
                for source in sources:
                    src, dst = root / source.lstrip("/"), kept / dest.lstrip("/")
                    if not src.exists():
                        raise _Stop(f"{example.where(inst.line)}: the build stage has no {source} to copy")
                    shutil.copytree(src, dst, symlinks=True) if src.is_dir() else shutil.copy2(src, dst)
    if index + 1 < len(stages):
        shutil.rmtree(root)
        kept.mkdir(exist_ok=True)
        kept.rename(root)

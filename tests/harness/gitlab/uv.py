"""uv-specific rules: the UV_* names uv reads, where uv's cache and lock live, and pinned uv installs.

- Every `UV_*` name must be a variable the uv under test reads (read from the uv binary itself;
  harness/uv_under_test.py says which uv that is: the pin, or the release `--uv` names).
- A cache path that looks like uv's cache (`.cache/uv`, `.uv-cache`) is only filled when
  `UV_CACHE_DIR` (or `XDG_CACHE_HOME`) points there: uv's default cache is under HOME, outside the
  project, and GitLab caches only paths inside it (https://docs.gitlab.com/ci/caching/).
- `uv.lock` is never a cache path: restoring the cache would overwrite the committed lock.
- `cache:key:files` must name files the project has: GitLab falls back to the shared key
  `default` for files it does not find (https://docs.gitlab.com/ci/yaml/#cachekeyfiles).
- `pip install uv==X` and installer URLs with a version are checked like image tags.
"""

from __future__ import annotations

import difflib
import functools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import uv_releases
from ..uv_under_test import current, minor_of
from .images import UV_IMAGE_RE
from .loader import Finding, Map, Seq, file_of, line_of
from .model import GUIDE, Pipeline, Rules, at, expand, flatten
from .semantics import cache_owners, caches
from .variables import scalar_lines, shell_sets, strings

UV_NAME_RE = re.compile(r"(?<![A-Za-z0-9_])UV_[A-Z0-9_]*[A-Z0-9]")
# Read by uv's installer scripts (install.sh / install.ps1), not by uv itself
# (https://docs.astral.sh/uv/reference/installer/, and the scripts' own variable list).
INSTALLER_VARIABLES = frozenset(
    {
        "UV_INSTALL_DIR",
        "UV_NO_MODIFY_PATH",
        "UV_UNMANAGED_INSTALL",
        "UV_DISABLE_UPDATE",
        "UV_INSTALLER_GITHUB_BASE_URL",
        "UV_INSTALLER_GHE_BASE_URL",
    }
)
UV_INDEX_CREDENTIAL = re.compile(r"UV_INDEX_[A-Z0-9_]+_(?:USERNAME|PASSWORD)")
# Where uv's cache usually is when someone means to cache it in the project.
UV_CACHE_PATH = re.compile(r"(?:^|/)(?:\.cache/uv|\.?uv[-_]cache)/?$")
# `pip install uv==0.4.18`, `pipx install "uv==0.5"`, `python -m pip install uv==...`
PIP_PIN = re.compile(r"\b(?:pip3?|pipx|-m pip|uv pip|uv tool)\s+install\b[^\n;&|]*?\buv\s*==\s*([0-9][\w.]*)")
# https://astral.sh/uv/0.4.18/install.sh, .../install.ps1, GitHub release downloads
VERSION_USE = re.compile(r"astral\.sh/uv/|astral-sh/uv/releases/download/|\buv\s*==")
INSTALLER_URL = re.compile(
    r"(?:astral\.sh/uv/|github\.com/astral-sh/uv/releases/download/)([0-9][\w.]*)/(?:install\.(?:sh|ps1)|uv-)"
)


@functools.cache
def _binary_bytes(path: Path) -> bytes:
    return path.read_bytes()


# What may follow a complete name in the binary: printable non-name text, a name, a capitalised word.
_NAME_END = re.compile(rb"[\t\n !-/:-@\[-^`{-~]|UV_|[A-Z][a-z]")


def uv_variables() -> frozenset[str]:
    """The UV_* names the uv under test's binary holds."""
    return _variables_in(current().binary)


@functools.cache
def _variables_in(binary: Path) -> frozenset[str]:
    """The UV_* environment variables the uv binary names.

    The binary stores strings back to back, so a name counts only where it ends at printable text
    that cannot continue it, at the next `UV_` name, or at a capitalised word
    (`UV_PUBLISH_PASSWORDThe password`). Names inside machine code end at unprintable bytes.
    """
    blob = _binary_bytes(binary)
    names = set()
    for m in re.finditer(rb"UV_[A-Z0-9_]*", blob):
        run, end = m[0], m.end()
        starts = [i for i in range(len(run)) if run.startswith(b"UV_", i)]
        for start, stop in zip(starts, [*starts[1:], len(run)]):
            for cut in range(start + 4, stop + 1):
                if run[cut - 1 : cut] != b"_" and _NAME_END.match(run[cut:] + blob[end : end + 3]):
                    names.add(run[start:cut].decode())
    return frozenset(names)


@dataclass(frozen=True)
class HelpPage:
    """What `uv <path> --help` lists."""

    usage: str  # "uv pip install [OPTIONS] <PACKAGE|...>"
    commands: tuple[str, ...]  # its subcommands
    options: dict[str, bool]  # "--index", "-p" -> whether it takes a value
    env: frozenset[str]  # the `[env: UV_...]` names


# An option line of clap's help: `  -p, --python <PYTHON>` or `      --no-cache` (descriptions are
# indented further).
_OPTION_LINE = re.compile(
    r"^(?:  (?P<short>-[A-Za-z0-9])(?:, |\s)|      )(?P<long>--[A-Za-z0-9][A-Za-z0-9-]*)?(?P<value> \[?<)?"
)


def _help_page(text: str) -> HelpPage:
    usage = re.search(r"^Usage: (.*)$", text, re.MULTILINE)
    listed = re.search(r"^Commands:\n((?:  .*\n)+)", text, re.MULTILINE)
    commands = tuple(line.split()[0] for line in listed[1].splitlines()) if listed else ()
    options = {}
    for line in text.splitlines():
        if m := _OPTION_LINE.match(line):
            for name in (m["short"], m["long"]):
                if name:
                    options[name] = bool(m["value"])
    env = frozenset(re.findall(r"\[env:\s+\"?(UV_[A-Z0-9_]+)", text))
    return HelpPage(usage[1].strip() if usage else "", commands, options, env)


@functools.cache
def uv_help(binary: Path) -> dict[tuple[str, ...], HelpPage]:
    """Every `uv ... --help` page of `binary`, by subcommand path (about 0.6 s, so only asked when needed)."""
    pages, todo = {}, [()]
    while todo:
        path = todo.pop()
        run = subprocess.run([str(binary), *path, "--help"], capture_output=True, text=True, env={}, check=False)
        pages[path] = _help_page(run.stdout)
        todo += [(*path, command) for command in pages[path].commands if command != "help"]
    return pages


@functools.cache
def uv_accepts(binary: Path, path: tuple[str, ...], option: str) -> bool:
    """Whether `uv <path>` takes `option` although its help page does not list it (a hidden or
    deprecated option, such as `--no-system`): uv itself is asked, with `--help` after it."""
    run = subprocess.run(
        [str(binary), *path, option, "--help"], capture_output=True, text=True, env={}, check=False, timeout=30
    )
    return run.returncode == 0 or "a value is required" in run.stderr


def uv_help_variables(binary: Path | None = None) -> frozenset[str]:
    """`[env: UV_...]` names of every help page of the uv under test (or of `binary`)."""
    return frozenset().union(*(page.env for page in uv_help(binary or current().binary).values()))


def uv_knows(name: str) -> bool:
    """Whether the uv under test reads environment variable `name`."""
    return _knows(current().binary, name)


@functools.cache
def _knows(binary: Path, name: str) -> bool:
    """Whether uv `binary` reads environment variable `name`.

    Besides the names `uv_variables` finds, a name counts when the binary has it followed by an
    upper-case value name (clap stores `UV_PUBLISH_URL` right before `CHECK_URL`), or when a help
    page shows it (`[env: UV_INSECURE_HOST=]`). A name cut off at an underscore (`UV_CACHE` of
    `UV_CACHE_DIR`) does not count. Names stored only before lower-case text and absent from help
    pages (`UV_PYTHON_CACHE_DIR`) are not recognised: declare none such in the guide.
    """
    blob = _binary_bytes(binary)
    if UV_INDEX_CREDENTIAL.fullmatch(name):
        return b"UV_INDEX_" in blob
    if name in _variables_in(binary):
        return True
    if re.search(re.escape(name.encode()) + rb"[A-Z][A-Z]", blob):
        return True
    return name in uv_help_variables(binary)


def texts(value, node=None) -> Iterator[tuple[str, int, str]]:
    """Every key and string of a document, line by line: (text, line, file)."""
    if isinstance(value, Map):
        for key, item in value.items():
            if isinstance(key, str):
                key_node = value.key_nodes[key]
                yield key, line_of(key_node), file_of(key_node)
            yield from texts(item, value.value_nodes[key])
    elif isinstance(value, Seq):
        for item, child in zip(value, value.nodes):
            yield from texts(item, child)
    elif isinstance(value, str):
        yield from scalar_lines(value, node)


def name_findings(p: Pipeline) -> list[Finding]:
    """Each UV_* name must be a variable uv reads, unless it only names an image tag part."""
    found, seen = [], set()
    # names a file uses only to say which uv to get: image tags, installer URLs, pip pins
    version_text = " ".join(
        t for t, _ in strings(p.data, None) if UV_IMAGE_RE.match(t.split(":")[0]) or VERSION_USE.search(t)
    )
    for text, line, file in texts(p.data):
        for name in UV_NAME_RE.findall(text):
            installer = name in INSTALLER_VARIABLES
            if name in seen or installer or re.search(rf"\$(?:env:)?\{{?{name}\b", version_text) or uv_knows(name):
                continue
            seen.add(name)
            close = difflib.get_close_matches(name, sorted(uv_variables() | uv_help_variables()), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            found.append(
                Finding(
                    line,
                    f"{name} is not an environment variable uv {current().version} reads{hint}",
                    file,
                )
            )
    return found


def _norm(path: str) -> str:
    """A cache path as GitLab reads it: relative to the project, without `./` or a trailing `/`."""
    path = re.sub(r"^\$(?:\{CI_PROJECT_DIR\}|CI_PROJECT_DIR)/?", "", path.strip())
    path = PurePosixPath(path).as_posix() if path else ""
    return "" if path == "." else path


def _uv_cache_dir(values: dict) -> str | None:
    """Where uv puts its cache in a job, from its YAML variables (None: uv's default under HOME)."""
    if "UV_CACHE_DIR" in values:
        return _norm(expand(str(values["UV_CACHE_DIR"]), values))
    if "XDG_CACHE_HOME" in values:
        return _norm(expand(str(values["XDG_CACHE_HOME"]), values) + "/uv")
    return None


def _script_text(p: Pipeline, name) -> str:
    parts = []
    for key in ("before_script", "script"):
        value, _ = p.defined(name, key) if name else (None, None)
        parts += [t for t in flatten(p.resolve(value)) if isinstance(t, str)]
    return "\n".join(parts)


def cache_findings(p: Pipeline, rules: Rules = GUIDE) -> list[Finding]:
    """uv's cache cached where uv does not write, uv.lock in a cache, key files the project lacks."""
    found = []
    for name, owner in cache_owners(p):
        users = [name] if name in p.jobs else [n for n in p.jobs if p.defined(n, "cache")[1] is owner]
        for cache in caches(owner.get("cache")):
            paths = cache.get("paths")
            for path, node in zip(paths, paths.nodes) if isinstance(paths, Seq) else []:
                if not isinstance(path, str):
                    continue
                real = _norm(expand(path, p.variables(name if name in p.jobs else None)))
                if real == "uv.lock" or real.endswith("/uv.lock"):
                    found.append(
                        at(
                            node,
                            f"cache path `{path}` is uv's lockfile: restoring the cache overwrites the "
                            "committed uv.lock with an old one; cache uv's cache directory instead",
                        )
                    )
                elif UV_CACHE_PATH.search(real):
                    for job in users or [None]:
                        values = p.variables(job)
                        script = _script_text(p, job)
                        if "UV_CACHE_DIR" in shell_sets(script) or "--cache-dir" in script:
                            continue  # the job sets it itself
                        where = _uv_cache_dir(values)
                        if where != real:
                            now = (
                                f"it points at `{where}`"
                                if where is not None
                                else "it is not set, so uv writes under HOME"
                            )
                            found.append(
                                at(
                                    node,
                                    f"cache path `{path}` looks like uv's cache, but uv writes its cache "
                                    f"to UV_CACHE_DIR and {now}: GitLab saves an empty cache; set "
                                    f"`UV_CACHE_DIR: {path}`",
                                )
                            )
                            break
            if rules.project is not None:
                found += _key_file_findings(cache, p.variables(name if name in p.jobs else None), rules)
    return found


def _looks_like_project(root: Path) -> bool:
    return any(
        (root / marker).exists() for marker in (".git", "pyproject.toml", "uv.lock", "requirements.txt")
    )


def _key_file_findings(cache: Map, values: dict, rules: Rules) -> list[Finding]:
    key = cache.get("key")
    files = key.get("files") if isinstance(key, Map) else None
    if not isinstance(files, Seq):
        return []
    root = rules.project
    if not _looks_like_project(root):
        return [
            at(
                key.key_nodes["files"],
                f"cache:key:files: {root} does not look like the project (no pyproject.toml, "
                "uv.lock, requirements.txt or .git), so whether its files exist is not checked; pass --pipeline-root",
                "note",
            )
        ]
    found = []
    for item, node in zip(files, files.nodes):
        if not isinstance(item, str):
            continue
        real = _norm(expand(item, values))
        if "$" in real or not real:
            continue
        if any(c in real for c in "*?[") and any(root.glob(real)) or (root / real).exists():
            continue
        found.append(
            at(
                node,
                f"cache:key:files names `{item}`, which is not in the project ({root}): GitLab then "
                "uses the fallback key `default` for every pipeline, and a changed file no longer makes a new cache",
            )
        )
    return found


def _version_problem(version: str, what: str, rules: Rules) -> tuple[str, str] | None:
    """(level, message) for a uv version pinned outside an image tag.

    The guide must name its pin, or with another uv under test that uv (a literal of the pin is
    then drift, which the versions check reports once); a reader's file may name any published uv.
    """
    uv = current()
    pinned = uv.pinned
    if not rules.reader:
        if version in (pinned, minor_of(pinned), uv.version, uv.minor):
            return None
        return "error", f"{what} installs uv {version}: pin the uv version the guide tests: {pinned}"
    found = uv_releases.release(version) if version.count(".") == 2 else uv_releases.newest_of(version)
    newest = uv_releases.newest()
    if found is None and uv_releases.maybe_newer(version):
        return (
            "note",
            f"{what} installs uv {version}, newer than uv {newest.version}, the newest this checker knows",
        )
    if found is None:
        return (
            "error",
            f"{what} installs uv {version}, which was never released (the newest is {newest.version})",
        )
    if found.version != newest.version:
        return (
            "note",
            f"{what} installs uv {found.version} ({found.published}); the newest this checker knows is uv {newest.version} ({newest.published})",
        )
    return None


def install_findings(p: Pipeline, rules: Rules = GUIDE) -> list[Finding]:
    """`pip install uv==X` and versioned installer URLs, checked like image tags."""
    found = []
    values = p.variables()
    for text, line, file in texts(p.data):
        real = expand(text, values)
        for regex, what in ((PIP_PIN, "`pip install uv==`"), (INSTALLER_URL, "the installer URL")):
            for m in regex.finditer(real):
                if problem := _version_problem(m[1].rstrip("."), what, rules):
                    level, message = problem
                    found.append(Finding(line, message, file, level))
    return found

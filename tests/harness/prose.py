"""uv in prose: every uv command, option and UV_* name the pages show outside code blocks exists.

Terms are the inline code spans of paragraphs, headings, list items, admonitions and tables, as the
site renders the page (macros run, so the tables docs/macros.py generates are included). Each is
reported at its page line, or, for a row a macro generated, at the line of the macros module that
holds the text. Three kinds count:

- a uv command line (`uv sync --locked`, `uvx ruff`): each subcommand must be one that
  `uv ... --help` lists, each option one that the help page of that (sub)command lists (uv shows
  its global options on every page); what follows `uv run`, `uv tool run` or `uvx` is the
  command it runs, and is not uv's;
- an option on its own (`--locked`, `--index gitlab`): some uv help page lists it, unless the
  sentence names the other tool it belongs to (OTHER_TOOLS) or it is an option of this checker
  (tests/pipeline-plugin);
- a UV_* name, alone or set (`UV_LINK_MODE`, `UV_LINK_MODE=copy`, `UV_CACHE_DIR: .uv-cache`): the
  uv under test reads it (harness/gitlab/uv.py), uv's installer does, or the guide's pipelines
  define it to pick a uv release (`UV_VERSION` in an image tag).

`<name>`, `<NAME>` and a trailing `*` are placeholders. Help pages and names come from the uv under
test (harness/uv_under_test.py), so with `--uv` these are that release's.
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from .collect import ROOT, _container, _mkdocs, render_page
from .gitlab.uv import INSTALLER_VARIABLES, uv_accepts, uv_help, uv_help_variables, uv_knows, uv_variables
from .uv_under_test import current

# Tools whose options the guide names in prose: a sentence that names one of them may name its
# options without them being uv's.
OTHER_TOOLS = (
    "MkDocs",
    "ruff",
    "mypy",
    "pytest",
    "pytest-cov",
    "tox",
    "nox",
    "pre-commit",
    "pip",
    "pipx",
    "git",
    "glab",
    "curl",
    "Docker",
    "gitlab-ci-local",
    "hatch",
    "twine",
)
PLUGIN = ROOT / "tests" / "pipeline-plugin" / "src" / "guide_pipeline_plugin" / "__init__.py"
# uv run, uv tool run and uvx run a command: the words after their options are that command's.
RUNS = {("run",), ("tool", "run")}
OPTION = re.compile(r"--?[A-Za-z0-9][\w-]*")
LONE_OPTION = re.compile(r"(?P<name>--[a-z0-9][a-z0-9-]*)(?:[ =]\S+)?")
UV_TERM = re.compile(r"\$?\{?(?P<name>UV_[A-Z0-9_<>*]*[A-Z0-9>*])\}?(?:\s*[:=].*)?")
PLACEHOLDER = re.compile(r"<[^>]+>|\*")


@dataclass(frozen=True)
class Term:
    where: str  # file:line a reader edits
    code: str  # the inline code
    sentence: str  # the sentence (or table cell) around it


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    md.block.ruler.before("fence", "container", _container, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    return md


@functools.cache
def _macros_file(root: Path) -> Path | None:
    config, _ = _mkdocs(root / "mkdocs.yml")
    macros = config.plugins.get("macros")
    name = macros.config.get("module_name") if macros else None
    path = root / f"{name}.py" if name else None
    return path if path and path.is_file() else None


def _generated_at(code: str, root: Path) -> str | None:
    """file:line of the macros module that writes `code` (a table row a macro made)."""
    path = _macros_file(root)
    if path is None:
        return None
    lines = path.read_text().splitlines()
    for needle in (f'"{code}"', f"`{code}`", code):
        for n, line in enumerate(lines, 1):
            if needle in line:
                return f"{path.relative_to(root).as_posix()}:{n}"
    return None


def _sentence(text: str, code: str) -> str:
    """The sentence (or table cell) of `text` that holds `code`."""
    at = text.find(f"`{code}`")
    for part in re.finditer(r"(?:[^|.!?]|[.!?](?!\s))+[.!?]?", text):
        if part.start() <= at < part.end():
            return part.group().strip()
    return text


def terms(path: Path, root: Path = ROOT) -> list[Term]:
    """The inline code spans outside code blocks of a page, where a reader edits each."""
    lines, origins, _ = render_page(path, root)
    if not lines:
        return []  # the inventory test reports a page that does not render
    raw = {}
    found = []
    for token in _parser().parse("\n".join(lines) + "\n"):
        if token.type != "inline" or not token.map:
            continue
        start, stop = token.map
        for child in token.children or []:
            if child.type != "code_inline":
                continue
            code = child.content
            index = next((i for i in range(start, stop) if f"`{code}`" in lines[i] or code in lines[i]), start)
            file, line, _ = origins[index]
            if file not in raw:
                raw[file] = (root / file).read_text().splitlines()
            source = raw[file][line - 1] if 0 < line <= len(raw[file]) else ""
            where = f"{file}:{line}"
            if "{{" in source and code not in source:  # a row a macro generated
                where = _generated_at(code, root) or where
            found.append(Term(where, code, _sentence(token.content, code)))
    return found


# --- the rules ----------------------------------------------------------------------------------


@functools.cache
def _own_options() -> frozenset[str]:
    """The options this checker adds to pytest (`uv run pytest --pipeline FILE`)."""
    return frozenset(re.findall(r'addoption\(\s*"(--[\w-]+)"', PLUGIN.read_text()))


@functools.cache
def guide_defined() -> frozenset[str]:
    """UV_* names the guide's pipelines define to pick a uv release (`uv:$UV_VERSION-...`)."""
    from .collect import examples

    uses = re.compile(r"(?:astral-sh/uv:|astral/uv:|astral\.sh/uv/|uv==)\$\{?(UV_[A-Z0-9_]+)")
    return frozenset(m for e in examples() for m in uses.findall(e.source))


def _close(word: str, options) -> str:
    close = difflib.get_close_matches(word, sorted(options), 1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def command_problem(code: str) -> str | None:
    """Why a uv command line names something the uv under test lacks (None when it does not)."""
    binary = current().binary
    pages = uv_help(binary)
    try:
        words = shlex.split(code)
    except ValueError:
        words = code.split()
    path: tuple[str, ...] = ("tool", "run") if words[0] == "uvx" else ()
    i = 1
    while i < len(words):
        word = words[i]
        page = pages.get(path)
        if page is None or PLACEHOLDER.fullmatch(word):
            return None
        command = " ".join(["uv", *path])
        if OPTION.fullmatch(word.split("=", 1)[0]) and word != "-":
            name = word.split("=", 1)[0]
            if name not in page.options and not uv_accepts(binary, path, name):
                return f"`{code}`: `{command}` has no option `{name}`{_close(name, page.options)}"
            i += 2 if page.options.get(name) and "=" not in word else 1
            continue
        if page.commands:
            if word not in page.commands:
                return f"`{code}`: `{command}` has no command `{word}`{_close(word, page.commands)}"
            path = (*path, word)
        elif path in RUNS:
            return None  # the command uv runs
        i += 1
    return None


def option_problem(term: Term) -> str | None:
    name = LONE_OPTION.fullmatch(term.code)["name"]
    if name in _own_options():
        return None
    binary = current().binary
    pages = uv_help(binary)
    options = {o for page in pages.values() for o in page.options}
    if name in options:
        return None
    if any(re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", term.sentence, re.IGNORECASE) for tool in OTHER_TOOLS):
        return None
    if any(uv_accepts(binary, path, name) for path in pages):  # hidden from the help pages
        return None
    return f"`{term.code}`: no uv command has the option `{name}`{_close(name, options)}"


def name_problem(name: str) -> str | None:
    if name in INSTALLER_VARIABLES or name in guide_defined():
        return None
    concrete = PLACEHOLDER.sub("NAME", name.rstrip("*"))
    if name.endswith("*"):
        known = uv_variables() | uv_help_variables()
        if any(k.startswith(concrete) for k in known) or uv_knows(concrete + "USERNAME"):
            return None
    elif uv_knows(concrete):
        return None
    hint = _close(name, uv_variables() | uv_help_variables())
    return f"`{name}` is not an environment variable uv {current().version} reads{hint}"


def kind_of(code: str) -> str | None:
    """"command", "option" or "name" for a term the rules check; None for other inline code."""
    if re.match(r"uvx? ", code + " "):
        return "command"
    if LONE_OPTION.fullmatch(code):
        return "option"
    if UV_TERM.fullmatch(code):
        return "name"
    return None


def problem(term: Term) -> str | None:
    """Why the term names something the uv under test does not have, starting with its file:line."""
    kind = kind_of(term.code)
    if kind == "command":
        found = command_problem(term.code)
    elif kind == "option":
        found = option_problem(term)
    elif kind == "name":
        found = name_problem(UV_TERM.fullmatch(term.code)["name"])
    else:
        found = None
    return f"{term.where}: {found}" if found else None

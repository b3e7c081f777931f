"""Render the pages as the site does and find every fenced block in them.

pages -> (mkdocs-macros, then pymdownx.snippets with mkdocs.yml's own settings) -> rendered lines,
each remembering the file and line it came from -> markdown-it with superfences rules -> Example.

Nothing here raises for a bad page: every problem becomes a `Problem` naming the file and line a
reader would fix, and the inventory test turns each one into a failure.
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

ROOT = Path(__file__).resolve().parents[2]

# The vocabulary of `<!-- check: ... -->` markers; anything else is an error.
MARKERS = {
    "fragment": "YAML that is an excerpt of a pipeline (jobs or templates), not a whole file",
    "not-runnable": "cannot run on this machine; needs reason=\"...\"",
    "reason": "why a block is not runnable",
    "output": "shows the output of the block before it",
    "variables": "CI/CD variables the reader creates in the project settings, space separated",
    "reproduces": "the troubleshooting entry whose quoted error text this block shows, e.g. T4",
    "unsafe": "shows what not to do; the checker must reject it for reason=\"...\"",
}
MARKER_RE = re.compile(r"^\s*<!--\s*check:(?P<body>.*?)-->\s*$")
CONTAINER_RE = re.compile(r"^(!!!|\?\?\?\+?|===)\s+\S")
SNIPPET_LINE_RE = re.compile(r"^(?P<indent>\s*)(?P<escape>;*)-{1,}8<-{1,}(?P<rest>.*)$")


@dataclass(frozen=True)
class Problem:
    """Something wrong with a page, at the place a reader would fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Example:
    """One fenced block as the site shows it."""

    page: str  # docs/index.md
    line: int  # page line of the opening fence
    lang: str  # first word or first .class of the info string, lower case
    info: str  # the whole info string
    source: str  # the block's text as rendered, without the fence lines
    origins: tuple[tuple[str, int], ...]  # (file, line) each source line came from
    markers: Mapping[str, str] = field(default_factory=dict)
    include: str | None = None  # the --8<-- target when the block is exactly one include

    @property
    def attrs(self) -> dict[str, str]:
        """`key="value"` settings of the info string (title, hl_lines, ...)."""
        return dict(re.findall(r'([\w-]+)="([^"]*)"', self.info))

    @property
    def title(self) -> str | None:
        return self.attrs.get("title")

    @property
    def origin(self) -> str:
        """The file a reader edits to change this block: a snippet file, or the page."""
        files = {f for f, _ in self.origins}
        if len(files) == 1 and (only := files.pop()).startswith("snippets/"):
            return only
        return self.page

    def where(self, index: int = 0) -> str:
        """file:line of source line `index` (0-based); the fence line if there is none."""
        if 0 <= index < len(self.origins):
            file, line = self.origins[index]
            return f"{file}:{line}"
        return f"{self.page}:{self.line}"

    def __str__(self) -> str:
        return self.include or f"{self.page}:{self.line}"


@dataclass(frozen=True)
class Page:
    """A page's examples and problems."""

    path: str
    examples: tuple[Example, ...]
    problems: tuple[Problem, ...]
    includes: frozenset[str]  # snippet files the page pulls in


# --- rendering ---------------------------------------------------------------------------------


@functools.cache
def _mkdocs(config_file: Path):
    """mkdocs config with plugins started, as `mkdocs build` prepares it, plus its site files."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    config = load_config(str(config_file))
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(get_files(config), config=config)
    return config, files


def _snippet_preprocessor(config):
    """pymdownx.snippets' own preprocessor, configured from mkdocs.yml, paths from its dir."""
    import markdown

    options = dict(config.mdx_configs.get("pymdownx.snippets", {}))
    root = Path(config.config_file_path).parent
    options["base_path"] = [str(root / p) for p in options.get("base_path", ["."])]
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    return md.preprocessors["snippet"]


def _front_matter_lines(path: Path) -> int:
    """How many lines mkdocs strips from the top of a page as YAML front matter."""
    from mkdocs.utils.meta import get_data

    raw = path.read_text()
    return raw.count("\n") - get_data(raw)[0].count("\n")


def _render_macros(config, files, path: Path) -> str:
    """The page's Markdown after mkdocs-macros, as `mkdocs build` hands it to Markdown."""
    from mkdocs.structure.pages import Page as MkPage

    file = files.get_file_from_path(str(path.relative_to(config.docs_dir)))
    page = MkPage(None, file, config)
    page.read_source(config)
    return config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)


def _line_map(before: list[str], after: list[str]) -> list[int]:
    """For each line of `after`, the index of the line of `before` it came from."""
    mapping = [0] * len(after)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        for k in range(j2 - j1):
            mapping[j1 + k] = i1 + k if tag == "equal" or i2 - i1 == j2 - j1 else i1
    return mapping


def _snippet_origins(root: Path, expanded: list[str], indent: str, files: list[str]) -> list[tuple[str, int]]:
    """Attribute each expanded line to a line of the included file(s), in order."""
    origins = []
    candidates = [(f, n, text) for f in files for n, text in enumerate((root / f).read_text().splitlines(), 1)]
    pos = 0
    for line in expanded:
        body = line[len(indent):] if line.startswith(indent) else line
        for k in range(pos, len(candidates)):
            if candidates[k][2] == body or candidates[k][2].strip() == body.strip():
                origins.append(candidates[k][:2])
                pos = k + 1
                break
        else:
            origins.append(candidates[0][:2] if candidates else ("?", 0))
    return origins


def _included_files(root: Path, line: str) -> list[str]:
    """Snippet files a single-line `--8<-- "path[:section]"` names."""
    m = re.search(r'-8<-+\s+(["\'])(?P<target>.+?)\1', line)
    if not m:
        return []
    target = m["target"]
    path = re.sub(r"(:[-\w]+)+$", "", target)
    return [path] if (root / path).is_file() else []


def render_page(path: Path, root: Path = ROOT) -> tuple[list[str], list[tuple[str, int, str | None]], list[Problem]]:
    """Rendered lines of a page with the (file, line, include target or None) each came from."""
    rel = path.relative_to(root).as_posix()
    problems: list[Problem] = []
    offset = _front_matter_lines(path)
    try:
        config, files = _mkdocs(root / "mkdocs.yml")
        markdown = _render_macros(config, files, path)
    except (Exception, SystemExit) as exc:  # mkdocs-macros exits on errors with on_error_fail
        line = _template_line(exc) + offset
        return [], [], [Problem(f"{rel}:{line}", f"page does not render: {_one_line(exc)}")]
    raw_lines = path.read_text().splitlines()[offset:]
    macro_lines = markdown.splitlines()
    to_raw = _line_map(raw_lines, macro_lines)

    pre = _snippet_preprocessor(config)
    lines: list[str] = []
    origins: list[tuple[str, int, str | None]] = []
    for i, line in enumerate(macro_lines):
        page_line = to_raw[i] + 1 + offset
        m = SNIPPET_LINE_RE.match(line)
        if not m or m["escape"]:
            lines.append(line)
            origins.append((rel, page_line, None))
            continue
        if not re.match(r'\s+["\']', m["rest"]):
            problems.append(
                Problem(f"{rel}:{page_line}", 'use the single-line include form --8<-- "snippets/..."')
            )
            continue
        try:
            expanded = pre.run([line])
        except Exception as exc:
            problems.append(Problem(f"{rel}:{page_line}", f"include failed: {_one_line(exc)}"))
            continue
        lines.extend(expanded)
        target = re.search(r'-8<-+\s+(["\'])(.+?)\1', line)[2]
        found = _snippet_origins(root, expanded, m["indent"], _included_files(root, line))
        origins.extend((file, n, target) for file, n in found)
    return lines, origins, problems


def _template_line(exc: BaseException | None) -> int:
    """The page line (after front matter) a Jinja error points at; 1 if it names none."""
    while exc is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
        if frames:
            return frames[-1].lineno or 1
        if getattr(exc, "lineno", None):
            return exc.lineno
        exc = exc.__cause__ or exc.__context__
    return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, SystemExit) and exc.__context__ is not None:
        text = _one_line(exc.__context__)
    return " ".join(text.split())


# --- parsing -----------------------------------------------------------------------------------


def _container(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Admonitions (!!!, ???, ???+) and tabs (===): their body is indented by four spaces."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not CONTAINER_RE.match(first):
        return False
    if silent:
        return True
    indent = state.sCount[start] + 4
    nxt = start + 1
    while nxt < end and (state.isEmpty(nxt) or state.sCount[nxt] >= indent):
        nxt += 1
    saved = state.parentType, state.lineMax, state.blkIndent
    state.parentType, state.lineMax, state.blkIndent = "container", nxt, indent
    token = state.push("container_open", "div", 1)
    token.map = [start, nxt]
    state.md.block.tokenize(state, start + 1, nxt)
    state.push("container_close", "div", -1)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.line = nxt
    return True


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    md.block.ruler.before(
        "fence", "container", _container, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    return md


def _language(info: str) -> str:
    """superfences: `lang attrs...` or `{.lang .class key=value}`."""
    info = info.strip()
    if info.startswith("{"):
        m = re.search(r"\.([\w+-]+)", info)
        return m[1].lower() if m else ""
    return info.split(maxsplit=1)[0].lower() if info else ""


def parse_markers(comment: str, where: str) -> tuple[dict[str, str], list[Problem]]:
    """`<!-- check: fragment not-runnable reason="..." -->` -> {"fragment": "", ...}."""
    m = MARKER_RE.match(comment)
    body = m["body"] if m else ""
    try:
        words = shlex.split(body)
    except ValueError as exc:
        return {}, [Problem(where, f"unreadable check marker: {exc}")]
    markers, problems = {}, []
    for word in words:
        key, _, value = word.partition("=")
        if key not in MARKERS:
            problems.append(Problem(where, f"unknown check marker {key!r}; known: {', '.join(MARKERS)}"))
        markers[key] = value
    for needs_reason in ("not-runnable", "unsafe"):
        if needs_reason in markers and not markers.get("reason"):
            problems.append(Problem(where, f'marker {needs_reason!r} needs reason="..."'))
    return markers, problems


def find_examples(
    rel: str, lines: list[str], origins: list[tuple[str, int, str | None]]
) -> tuple[list[Example], list[Problem]]:
    """Every fence markdown-it finds, with its markers; fences inside other fences are content."""
    examples: list[Example] = []
    problems: list[Problem] = []
    attached: set[int] = set()  # marker lines directly above a fence
    fenced: set[int] = set()  # lines inside fences: a marker there is content
    for token in _parser().parse("\n".join(lines) + "\n"):
        if token.type == "code_block" and token.map:
            file, line, _ = origins[token.map[0]]
            problems.append(Problem(f"{file}:{line}", "indented code block: use a fence with a language"))
        if token.type != "fence" or not token.map:
            continue
        start, stop = token.map
        fenced.update(range(start, stop))
        where = f"{rel}:{origins[start][1]}"
        last = lines[stop - 1].strip() if stop - 1 > start else ""
        if not re.fullmatch(re.escape(token.markup[0]) + "{%d,}" % len(token.markup), last):
            problems.append(Problem(where, f"unclosed fence {token.markup}"))
            continue
        markers: dict[str, str] = {}
        if start > 0 and MARKER_RE.match(lines[start - 1]):
            attached.add(start - 1)
            markers, found = parse_markers(lines[start - 1], where)
            problems.extend(found)
        content = origins[start + 1 : stop - 1]
        targets = {target for _, _, target in content}
        examples.append(
            Example(
                page=rel,
                line=origins[start][1],
                lang=_language(token.info),
                info=token.info.strip(),
                source=token.content,
                origins=tuple((file, n) for file, n, _ in content),
                markers=markers,
                include=targets.pop() if len(targets) == 1 and None not in targets else None,
            )
        )
    for i, line in enumerate(lines):
        if MARKER_RE.match(line) and i not in attached and i not in fenced:
            file, n, _ = origins[i]
            problems.append(Problem(f"{file}:{n}", "check marker is not directly above a fence"))
    return examples, problems


# --- the site ----------------------------------------------------------------------------------


def collect_page(path: Path, root: Path = ROOT) -> Page:
    rel = path.relative_to(root).as_posix()
    lines, origins, problems = render_page(path, root)
    examples, found = find_examples(rel, lines, origins) if lines else ([], [])
    includes = frozenset(f for f, _, target in origins if target)
    return Page(rel, tuple(examples), tuple(problems + found), includes)


def page_paths(root: Path = ROOT) -> list[Path]:
    return sorted((root / "docs").rglob("*.md"))


@functools.cache
def collect_site(root: Path = ROOT) -> tuple[Page, ...]:
    """Every page of the site under `root`, collected once per process."""
    return tuple(collect_page(p, root) for p in page_paths(root))


def examples(lang: str | None = None) -> list[Example]:
    """Examples of the site, optionally of one language (`yaml`, `bash`, ...)."""
    return [e for page in collect_site() for e in page.examples if lang is None or e.lang == lang]

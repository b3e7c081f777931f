"""One YAML block (or one reader's file) through every rule family, findings grouped by kind.

Kinds, in the order a reader fixes them: load (YAML, includes), schema (GitLab's CI schema),
semantics (what the schema lets through, uv's cache and lock), images (uv image tags and pinned uv
installs), variables (`$VAR` defined, `UV_*` names uv reads).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from . import uv
from .files import (
    MISSPELT_PIPELINE_FILES,
    PIPELINE_FILE,
    is_included_file,
    kinds_for,
)
from .images import ROOT, image_findings
from .loader import (
    REQUIRED,
    Finding,
    Map,
    YAMLProblem,
    interpolate,
    parse,
    resolve_includes,
    spec_inputs,
)
from .model import GUIDE, Pipeline, Rules
from .schema import schema_findings
from .semantics import semantic_findings
from .variables import variable_findings


def check_text(
    text: str,
    *,
    title: str | None = None,
    fragment: bool = False,
    declared=(),
    rules: Rules = GUIDE,
    root: Path | None = None,
    name: str = "",
) -> dict[str, list[Finding]]:
    """Findings per check kind for one YAML block or file.

    A whole pipeline (no `fragment` marker) is checked as GitLab would check the file. A fragment
    is an excerpt: its top-level keys are jobs, templates and global keywords exactly as in a whole
    file, so the whole-file schema applies to it unchanged (and, like in a whole file, templates that
    something `extends` are held to the job rules). What an excerpt may leave to the rest of the
    file is only what lives elsewhere: `stages:` (no stage check unless the excerpt declares them),
    and targets of needs/extends/!reference that it does not define. A job still needs a script.
    An included CI file is checked like an excerpt, its inputs set to their defaults.
    `root` is the project directory `include: local:` paths are read from (None: not read).
    """
    kinds = kinds_for(title, text)
    result: dict[str, list[Finding]] = {kind: [] for kind in kinds}
    if title and PurePosixPath(title).name in MISSPELT_PIPELINE_FILES:
        # line 0: the fence line, where the title is written
        result["load"].append(
            Finding(0, f'title "{title}": GitLab reads `{PIPELINE_FILE}`; title the block so')
        )
    try:
        doc = parse(text, name)
    except YAMLProblem as exc:
        result["load"].append(Finding(exc.line, str(exc)))
        return result
    result["load"] += doc.findings
    if kinds == ("load",):
        return result
    data = doc.data
    if not isinstance(data, Map):
        what = "empty" if data is None else f"a {type(data).__name__}"
        result["load"].append(
            Finding(
                1,
                f"a pipeline is a mapping of jobs and keywords; this {rules.level('block', 'file')} is {what}",
            )
        )
        return result
    if doc.spec is not None or is_included_file(title):
        fragment = True
        interpolate(data, {k: v for k, v in spec_inputs(doc.spec).items() if v is not REQUIRED})
    resolved = resolve_includes(data, root)
    result["load"] += resolved.findings
    pipeline = Pipeline(resolved.data, fragment=fragment, remote=resolved.remote)
    data = pipeline.data
    result["schema"] = schema_findings(
        data, templates=sorted(pipeline.extended & set(pipeline.hidden)), pipeline=pipeline
    )
    result["semantics"] = sorted(set(semantic_findings(pipeline, rules) + uv.cache_findings(pipeline, rules)))
    result["images"] = sorted(set(image_findings(pipeline, rules) + uv.install_findings(pipeline, rules)))
    result["variables"] = sorted(
        set(variable_findings(pipeline, rules, declared) + uv.name_findings(pipeline))
    )
    return result


def project_root(example) -> Path | None:
    """The project a snippet stands for: `snippets/<page>/` (None for a block written in a page)."""
    parts = PurePosixPath(example.origin).parts
    return ROOT.joinpath(*parts[:2]) if len(parts) > 2 and parts[0] == "snippets" else None


def check_example(example) -> dict[str, list[str]]:
    """Problems per check kind of one YAML `Example`, each starting with the file:line to fix.

    A problem inside a file the block includes is that file's own when its block shows it too (it
    is reported there); one that only this block's context causes (the inputs it passes, the stages
    it declares) is reported at this block's `include:` line. Notes do not fail.
    """
    root = project_root(example)
    findings = check_text(
        example.source,
        title=example.title,
        fragment="fragment" in example.markers,
        declared=example.markers.get("variables", "").split(),
        root=root,
    )
    elsewhere = [f for items in findings.values() for f in items if f.file and f.level == "error"]
    context = _from_this_context(example.source, root, elsewhere) if elsewhere else {}
    result = {}
    for kind, items in findings.items():
        problems = []
        for f in items:
            if f.level != "error":
                continue
            if not f.file:
                problems.append(f"{example.where(f.line - 1)}: {f.message}")
            elif f in context:
                problems.append(
                    f"{example.where(context[f] - 1)}: in {f.file}:{f.line} with this include: {f.message}"
                )
        result[kind] = problems
    return result


def _from_this_context(text: str, root: Path | None, elsewhere: list[Finding]) -> dict[Finding, int]:
    """Findings in included files that their own check does not give -> the include line to report."""
    included = {i.file: i for i in resolve_includes(parse(text).data, root).included if i.document}
    own: dict[str, set[tuple[int, str]]] = {}
    result = {}
    for f in elsewhere:
        source = included.get(f.file)
        if source is None:
            continue
        if f.file not in own:
            alone = check_text((root / source.path).read_text(), title=source.path, root=root, name=f.file)
            own[f.file] = {(g.line, g.message) for items in alone.values() for g in items}
        if (f.line, f.message) not in own[f.file]:
            result[f] = source.line
    return result


def check_yaml(example) -> list[str]:
    """Every problem of one YAML example, each line starting with file:line."""
    return [problem for problems in check_example(example).values() for problem in problems]


def check_all(examples) -> list[str]:
    """Every problem of many examples; what the benchmark times (validators built once)."""
    return [problem for example in examples for problem in check_yaml(example)]

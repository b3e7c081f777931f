"""The one summary printed at the end of a run: what the site shows and what was proven.

Tests tell the report what they did through `record_property` (it crosses pytest-xdist):
  check        the kind of check, e.g. "yaml-schema", "shellcheck", "pipeline"
  example      str(Example) of the block checked
  script_lines (run, total) for pipeline runs
  scenario     the name of the run when an example runs once per scenario, with
  lines_run    the pipeline lines it ran: the example counts once, a line as run if any run ran it
  not_runnable list of (line, reason) for script lines that cannot run here
  troubleshooting  "reproduced" or "marked: <reason>"
  screenshots  the folder where the browser check saved each page's screenshots
  prose_terms  the kind ("command", "option", "name") of each uv term a page's prose shows
"""

from __future__ import annotations

import re
from collections import Counter

from .collect import collect_site
from .shell import PIPELINE_LANGS, powershell_jobs


def _props(report) -> dict:
    return dict(report.user_properties)


def summary_lines(reports: list) -> list[str]:
    """Lines of the summary from the call-phase reports of the run (and skipped setups)."""
    pages = collect_site()
    langs = Counter(e.lang for page in pages for e in page.examples)
    lines = [
        f"pages: {len(pages)}, blocks: {sum(langs.values())} "
        f"({', '.join(f'{lang} {n}' for lang, n in sorted(langs.items()))})"
    ]
    passed, failed, skipped = Counter(), Counter(), []
    run_lines = total_lines = 0
    not_runnable: Counter[str] = Counter()
    trouble = Counter()
    scenarios: dict[str, tuple[set, int, list]] = {}  # example -> (lines run, total, not runnable)
    screenshots = set()
    prose: Counter[str] = Counter()
    for report in reports:
        props = _props(report)
        kind = props.get("check")
        if kind is None:
            continue
        if report.skipped:
            if hasattr(report, "wasxfail"):
                reason = f"expected failure: {report.wasxfail.removeprefix('reason: ')}"
            else:
                reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            skipped.append(f"{kind} {props.get('example', report.nodeid)}: {reason.removeprefix('Skipped: ')}")
        elif report.passed:
            passed[kind] += 1
        else:
            failed[kind] += 1
        if "scenario" in props and not report.failed:
            seen, _, _ = scenarios.setdefault(
                props["example"], (set(), props["script_lines"][1], props.get("not_runnable", []))
            )
            seen.update(props["lines_run"])
        elif "script_lines" in props and not report.failed:  # a skipped pipeline shows lines it cannot run
            run, total = props["script_lines"]
            run_lines += run
            total_lines += total
            for _, reason in props.get("not_runnable", []):
                not_runnable[reason] += 1
        if "troubleshooting" in props:
            trouble[props["troubleshooting"].split(":")[0]] += 1
        if "screenshots" in props:
            screenshots.add(props["screenshots"])
        prose.update(props.get("prose_terms", []))
    for seen, total, unrunnable in scenarios.values():
        run_lines += len(seen)
        total_lines += total
        for _, reason in unrunnable:
            not_runnable[reason] += 1
    kinds = sorted(set(passed) | set(failed))
    lines.append("checks passed: " + ", ".join(f"{k} {passed[k]}/{passed[k] + failed[k]}" for k in kinds))
    if total_lines:
        why = "; ".join(f"{reason} ({n})" for reason, n in not_runnable.most_common())
        lines.append(
            f"script lines: {run_lines} of {total_lines} run ({run_lines / total_lines:.0%}), "
            f"{sum(not_runnable.values())} not runnable{': ' + why if why else ''}"
        )
    if trouble:
        lines.append("troubleshooting: " + ", ".join(f"{n} {k}" for k, n in sorted(trouble.items())))
    if prose:
        lines.append(
            f"uv in prose: {sum(prose.values())} terms checked (commands {prose['command']}, "
            f"options {prose['option']}, UV_* names {prose['name']})"
        )
    yaml_blocks = [e for page in pages for e in page.examples if e.lang in PIPELINE_LANGS]
    powershell = [job for e in yaml_blocks for job in powershell_jobs(e)]
    if powershell:  # harness/shell.py, powershell_jobs: why no parser checks them
        lines.append(f"PowerShell: {len(powershell)} job(s), syntax not checked here")
    lines.extend(f"screenshots of each page (desktop, phone): {folder}" for folder in sorted(screenshots))
    lines.append(f"not checked: {len(skipped)}")
    lines.extend(f"  - {s}" for s in sorted(skipped, key=_natural))
    return lines


def _natural(text: str) -> list:
    """Sort key with numbers as numbers (page.md:96 before page.md:132): parallel runs finish items
    in any order, and the summary lists them the same way each time."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]

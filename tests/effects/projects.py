"""Effects of the pipelines on docs/projects.md (the matrix is shown on docs/caching.md too)."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import yaml
from effects import effect
from effects._common import (
    assert_matrix_ran,
    cache_keys,
    imports,
    job_dir,
    log_of,
)
from harness.uv_under_test import current


@effect("snippets/projects/locked-test.yml")
def locked_env_ran_both_tests(run):
    log = log_of(run, "test")
    assert "test_greet" in log and "test_shout" in log, "unittest --verbose did not list both tests"
    assert imports(run, job_dir(run, "test") / ".venv/bin/python", "sample"), ".venv lacks the project"


@effect("snippets/projects/matrix.yml")
def one_job_and_one_cache_per_python(run):
    versions = ("3.11", "3.12", "3.13")
    assert_matrix_ran(run, versions)
    keys = cache_keys(run)
    for v in versions:
        prefix = f"uv-{current().pinned}-python{v}-"
        assert any(k.startswith(prefix) for k in keys), f"no cache for Python {v} (keys: {sorted(keys)})"


@effect("snippets/projects/non-root.yml")
def everything_uv_wrote_is_in_the_checkout(run):
    directory = job_dir(run, "test")
    assert (directory / ".uv-cache").is_dir(), "the cache is not in the project directory"
    assert "Ran 2 tests" in log_of(run, "test")


def gitlab_coverage(regex: str, log: str) -> float | None:
    """The coverage figure GitLab reads from a job log with the job's `coverage:` regex.

    As docs.gitlab.com/ci/yaml/#coverage states and Gitlab::Ci::Trace::Stream#extract_coverage
    (gitlab-org/gitlab, lib/gitlab/ci/trace/stream.rb) does: the last line that matches, the last
    match in it (its last capture group when the regex has groups), the first number in that.
    """
    pattern = re.compile(regex.removeprefix("/").removesuffix("/"))
    for line in reversed(log.splitlines()):
        matches = pattern.findall(line)
        if not matches:
            continue
        last = matches[-1][-1] if isinstance(matches[-1], tuple) else matches[-1]
        if number := re.search(r"\d+(?:\.\d+)?", last):
            return float(number.group())
    return None


@effect("snippets/projects/reports.yml")
def junit_cobertura_and_the_coverage_figure(run):
    directory = job_dir(run, "test")
    for report in ("report.xml", "coverage.xml"):
        assert (directory / report).is_file(), f"the job wrote no {report}"
    junit = ElementTree.parse(directory / "report.xml").getroot()
    cases = {c.get("name") for c in junit.iter("testcase")}
    assert cases == {"test_greet", "test_shout"}, f"report.xml lists {sorted(cases)}"
    assert not list(junit.iter("failure")) and not list(junit.iter("error")), "report.xml has failures"
    cobertura = ElementTree.parse(directory / "coverage.xml").getroot()
    measured = {c.get("filename") for c in cobertura.iter("class")}
    assert "src/sample/__init__.py" in measured, f"coverage.xml measured {sorted(measured)}"
    config = yaml.safe_load(run.text)
    figure = gitlab_coverage(config["test"]["coverage"], log_of(run, "test"))
    assert figure is not None, "the coverage regex matches no line of the job log"
    line_rate = 100 * float(cobertura.get("line-rate"))
    assert abs(figure - line_rate) < 1, f"GitLab would show {figure}%, coverage.xml says {line_rate:.1f}%"

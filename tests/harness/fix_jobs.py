"""Run a fix fragment's job in a sandbox, as GitLab's bash shell would, for a reproduction.

A reproduction builds a failing setup by hand and then applies the fix the page shows. That fix is
a YAML fragment (a job, or only `variables:`): `job()` reads it the way the runner prepares a job
(GitLab's variable expansion over the predefined variables, global then job-level variables,
`before_script` + `script`), and `run_job()` runs its script in the setup. Every fix fragment also
runs as a whole pipeline through gitlab-ci-local (harness/runner.py) with its effect check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .collect import Example
from .gitlab import Map, load
from .sandbox import Sandbox


def sh(
    sandbox: Sandbox, script: str, *, cwd: Path | None = None, env: dict | None = None, timeout: float = 120
):
    """Run a bash script in the sandbox with stderr folded into stdout (the order uv printed)."""
    return sandbox.run("exec 2>&1\n" + script, cwd=cwd, env=env, timeout=timeout)


def expand(value: str, env: dict[str, str]) -> str:
    """GitLab's expansion of `$NAME` and `${NAME}` in a variable's value (unknown names: empty)."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: env.get(m[1] or m[2], ""), value)


@dataclass
class Job:
    """A job of a fix fragment, as the runner would prepare it."""

    name: str
    variables: dict[str, str]  # expanded, global then job-level
    script: list[str]  # before_script + script
    after_script: list[str]
    raw: Map
    ci: dict[str, str]  # the predefined variables the job runs with
    where: str  # file:line of the fragment

    @property
    def image(self) -> str:
        """The job's image reference, variables expanded."""
        value = self.raw.get("image")
        value = value.get("name") if isinstance(value, dict) else value
        assert isinstance(value, str), f"{self.where}: job {self.name} has no image"
        return expand(value, {**self.ci, **self.variables})


def job(example: Example, ci_env: dict[str, str], name: str | None = None) -> Job:
    """The (only, or named) job of a YAML fragment, with variables expanded over `ci_env`."""
    doc = load(example.source)
    assert isinstance(doc, dict), f"{example.where()}: a fix fragment must be a mapping"
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and k not in ("variables", "default")}
    if name is None:
        assert len(jobs) <= 1, f"{example.where()}: {len(jobs)} jobs in the fragment; name the one to run"
        name = next(iter(jobs), "")
    body = jobs.get(name, Map())
    env = dict(ci_env)
    variables = {}
    for scope in (doc.get("variables") or {}, body.get("variables") or {}):
        for key, value in scope.items():
            value = value.get("value", "") if isinstance(value, dict) else value
            variables[key] = env[key] = expand(str(value), env)

    def lines(key):
        items = body.get(key) or (doc.get("default") or {}).get(key) or []
        flat = []
        for item in [items] if isinstance(items, str) else items:
            flat.extend(item if isinstance(item, list) else [item])
        return [str(x) for x in flat]

    return Job(
        name,
        variables,
        lines("before_script") + lines("script"),
        lines("after_script"),
        body,
        dict(ci_env),
        example.where(),
    )


def run_job(sandbox: Sandbox, job: Job, *, cwd: Path, env: dict[str, str], timeout: float = 120):
    """Run a job's before_script and script as GitLab's bash shell does (`set -eo pipefail`).

    The environment: the job's predefined variables, then `env` (the test's setup), then the
    job's own `variables:`, which win as they do in GitLab.
    """
    script = "set -eo pipefail\n" + "\n".join(job.script)
    return sh(sandbox, script, cwd=cwd, env={**job.ci, **env, **job.variables}, timeout=timeout)

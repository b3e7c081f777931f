"""gitlab-ci-local and the Node it needs, installed on first use into the git-ignored `.tools/`.

gitlab-ci-local (npm) runs the pipelines. It crashes on Node 20 (`Set.prototype.union` is new in
Node 22), so the npm package `node@22` provides the Node that runs it. Both are installed with the
machine's npm once, under a file lock so that parallel pytest workers wait for one install, and
are reused afterwards. npm's cache and logs go to `.tools/npm-cache`.

Three patches are applied to a copy of gitlab-ci-local (`dist/index.patched-<hash>.js`), each fixing
a place where it departs from GitLab:
- with `--shell-isolation` it re-copies the project into the job's directory before
  `after_script`, deleting what `script` made (a `.venv`, the uv cache); GitLab runs `after_script`
  in the same working directory as `script` (docs.gitlab.com/ci/yaml/#after_script);
- for a job that names an `image:` it sets CI_PROJECT_DIR and CI_BUILDS_DIR to `/builds/...` even
  when `--force-shell-executor` runs the job natively in another directory: a job writing to
  `$CI_PROJECT_DIR` would write outside the sandbox. CI_PROJECT_DIR is where the job runs;
- it evaluates `workflow:rules` only for their `variables`, and runs the jobs even when the rules
  create no pipeline (a `when: never` rule or no rule matches); GitLab then creates no pipeline and
  no job runs (docs.gitlab.com/ci/yaml/workflow/: "The workflow keyword is evaluated before jobs").
  The patched copy prints NO_PIPELINE and drops every job.
And one that changes no behaviour, only time: before every run it copies the project into
`.gitlab-ci-local/builds/.docker`, which only the Docker executor reads (it `docker cp`s it into a
job's container); with `--force-shell-executor` no job has an image (`imageName()` returns null),
so the copy is skipped (about 0.05 s of each run: a `git ls-files` and an rsync).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
GITLAB_CI_LOCAL_VERSION = "4.75.1"
NODE_PACKAGE = "node@22"


class ToolError(RuntimeError):
    """A tool could not be installed or found; the message says what to do."""


# What the patched gitlab-ci-local prints when workflow:rules create no pipeline.
NO_PIPELINE = "workflow:rules created no pipeline"

# (original, patched) pairs of gitlab-ci-local 4.75.1's dist/index.js; see the module docstring.
PATCHES = [
    (  # execScripts(scripts, variables, message): message is non-empty only for after_script.
        "if(await ze.default.remove(`${n}/${i}/artifacts/${s}`),!l&&this.argv.shellIsolation)"
        "await I.rsyncTrackedFiles(",
        "if(await ze.default.remove(`${n}/${i}/artifacts/${s}`),!l&&this.argv.shellIsolation&&r.length===0)"
        "await I.rsyncTrackedFiles(",
    ),
    (  # _predefinedVariables: t is this.argv.
        'if(this.jobData.image)s="/builds"',
        'if(this.jobData.image&&!t.forceShellExecutor)s="/builds"',
    ),
    (  # Parser.init: y is the merged configuration, n the output streams, P the workflow's result.
        'P=I.getRulesResult({argv:e,cwd:t,rules:S,variables:O},a,"on_success");',
        'P=I.getRulesResult({argv:e,cwd:t,rules:S,variables:O},a,"on_success");'
        f'if(P.when==="never"){{n.stdout("{NO_PIPELINE}\\n");I.forEachRealJob(y,J=>delete y[J])}}',
    ),
    *(  # handler: i is the argv; the copy for the Docker executor, before each of three run modes.
        (
            f'await I.rsyncTrackedFiles(s,o,xh.resolve(s,i.ignoresFile),".docker"),await Ut.{run}(',
            f'i.forceShellExecutor||await I.rsyncTrackedFiles(s,o,xh.resolve(s,i.ignoresFile),".docker"),'
            f"await Ut.{run}(",
        )
        for run in ("runJobs", "runJobsInStage", "runPipeline")
    ),
]


# A new patch list gets a new file name, so an old patched copy is never reused.
_PATCH_ID = hashlib.sha256(repr(PATCHES).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Tools:
    node: Path  # Node >= 22
    gitlab_ci_local: Path  # gitlab-ci-local's dist/index.js

    def command(self) -> list[str]:
        return [str(self.node), str(self.gitlab_ci_local)]


def _paths() -> Tools:
    return Tools(
        node=TOOLS / "node22" / "node_modules" / ".bin" / "node",
        gitlab_ci_local=TOOLS
        / "gitlab-ci-local"
        / "node_modules"
        / "gitlab-ci-local"
        / "dist"
        / f"index.patched-{_PATCH_ID}.js",
    )


def _patch(patched: Path) -> None:
    """Write the patched copy of gitlab-ci-local next to its original."""
    original = patched.with_name("index.js")
    source = original.read_text()
    for before, after in PATCHES:
        if source.count(before) != 1:
            raise ToolError(f"{original}: a patch no longer applies ({before[:60]}...); update tools.py")
        source = source.replace(before, after)
    tmp = patched.with_suffix(".tmp")
    tmp.write_text(source)
    tmp.replace(patched)


def _installed_version(prefix: Path, package: str) -> str | None:
    manifest = prefix / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _npm_install(prefix: Path, spec: str, progress) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ToolError(
            f"npm not found: the checker needs it once to install {spec} into {prefix} "
            "(install Node.js and npm, e.g. `apt-get install npm`)"
        )
    progress(f"installing {spec} into {prefix.relative_to(ROOT)} (once) ...")
    prefix.mkdir(parents=True, exist_ok=True)
    cache = TOOLS / "npm-cache"
    env = {
        **os.environ,  # the machine's npm setup (registry, CA certificates) applies
        "npm_config_cache": str(cache),  # cache and logs stay in .tools, not in HOME
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "npm_config_loglevel": "error",
    }
    result = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-save", "--no-package-lock", spec],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise ToolError(f"`npm install {spec}` failed (exit {result.returncode}):\n{result.stderr[-2000:]}")


def _check_rsync() -> None:
    # gitlab-ci-local copies the project with rsync for --shell-isolation (tooling-facts.md §6.1).
    if shutil.which("rsync") is None:
        raise ToolError("rsync not found: gitlab-ci-local needs it to isolate jobs (`apt-get install rsync`)")


def ensure_tools(progress=None) -> Tools:
    """Install what is missing (once, under a lock) and return the paths."""
    progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    tools = _paths()
    _check_rsync()
    if tools.node.exists() and tools.gitlab_ci_local.exists():
        return tools
    TOOLS.mkdir(exist_ok=True)
    with open(TOOLS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing: wait for it
        if _installed_version(TOOLS / "node22", "node") is None or not tools.node.exists():
            _npm_install(TOOLS / "node22", NODE_PACKAGE, progress)
        if _installed_version(TOOLS / "gitlab-ci-local", "gitlab-ci-local") != GITLAB_CI_LOCAL_VERSION:
            _npm_install(TOOLS / "gitlab-ci-local", f"gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION}", progress)
        if not tools.gitlab_ci_local.exists():
            _patch(tools.gitlab_ci_local)
        shutil.rmtree(TOOLS / "npm-cache", ignore_errors=True)
    for path in (tools.node, tools.gitlab_ci_local):
        if not path.exists():
            raise ToolError(f"{path} is missing after npm install")
    version = subprocess.run([str(tools.node), "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("v") or int(version[1:].split(".")[0]) < 22:
        raise ToolError(f"{tools.node} is Node {version}; gitlab-ci-local needs Node 22 or later")
    return tools

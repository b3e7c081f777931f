"""Effects of the pipelines on docs/publishing.md (the recipe's index is used on other pages too)."""

from __future__ import annotations

import re

from harness.gitlab import expand, load
from harness.quoted import assert_shows
from harness.uv_under_test import current

from effects import effect
from effects._common import ROOT, job_dir, log_of, run_uv, sample_dists

INDEX_TOML = ROOT / "snippets" / "publishing" / "gitlab-index.toml"
PLACEHOLDER_API = "https://gitlab.example.com/api/v4"
PLACEHOLDER_PROJECT = "/projects/42/"


def publish_index(workdir, registry):
    """The page's `[[tool.uv.index]]` entry, pointed at the local registry, in pyproject.toml.

    A reader pastes it into their pyproject.toml as it is, with their host and project ID; the
    lockfile must stay valid (the index is explicit and no package uses it).
    """
    text = INDEX_TOML.read_text()
    where = INDEX_TOML.relative_to(ROOT)
    assert PLACEHOLDER_API in text and PLACEHOLDER_PROJECT in text, (
        f"{where}: the index no longer uses {PLACEHOLDER_API} and project 42"
    )
    text = text.replace(PLACEHOLDER_API, registry.api_v4)
    text = text.replace(PLACEHOLDER_PROJECT, f"/projects/{registry.project_id}/")
    pyproject = workdir / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().rstrip("\n") + "\n\n" + text)
    checked = run_uv(["lock", "--check"], workdir, workdir.parent / "prepare-uv", {})
    assert checked.returncode == 0, f"{where}: with the index, uv.lock is stale:\n{checked.stderr}"


def assert_credentials_everywhere(run) -> None:
    """Every request to the registry carried the job token: the check URL too (no 401)."""
    refused = [r for r in run.registry.requests if r[2] == "401"]
    assert not refused, f"uv asked the registry without credentials: {refused}"
    checked = [r for r in run.registry.requests if r[0] == "GET" and "/pypi/simple/" in r[1]]
    assert checked, "uv did not look in the index before uploading"


def rerun_job_script(run, job: str):
    """Run a job's script again in its working copy, as a retried job would."""
    config = load(run.text)
    values = dict(run.variables)
    for mapping in (config.get("variables") or {}, config[job].get("variables") or {}):
        values.update({k: expand(str(v), values) for k, v in mapping.items()})
    script = "set -e\n" + "\n".join(config[job]["script"])
    return run.sandbox.run(script, cwd=job_dir(run, job), env=values)


def page_output(page: str, after: str):
    """The `<!-- check: output -->` block that follows the example `after` on `page`."""
    from harness.collect import collect_site

    shown = next(p for p in collect_site() if p.path == page).examples
    index = next(i for i, e in enumerate(shown) if str(e) == after)
    block = shown[index + 1] if index + 1 < len(shown) else None
    assert block is not None and "output" in block.markers, f"{page}: no output block after {after}"
    return block


@effect("snippets/publishing/gitlab-registry.yml", tag="v1.2.3", prepare=publish_index)
def tagged_version_is_published_and_a_retry_passes(run):
    expected = sample_dists("1.2.3")
    assert run.registry.files() == expected
    assert_credentials_everywhere(run)
    retry = rerun_job_script(run, "publish")
    assert retry.returncode == 0, f"a retried publish job fails:\n{retry.stderr[-1500:]}"
    skipped = retry.stderr.count("already exists, skipping")
    assert skipped == len(expected), f"the retry skipped {skipped} of {len(expected)} files:\n{retry.stderr}"
    shown = page_output("docs/publishing.md", "snippets/publishing/gitlab-registry.yml")
    assert_shows(shown, retry.stderr)
    assert run.registry.files() == expected
    venv = run.sandbox.root / "fresh-venv"
    installed = run.registry.install_fresh(run.sandbox, venv, "sample==1.2.3")
    assert installed.returncode == 0, f"the published sample does not install:\n{installed.stderr}"
    greeting = run.sandbox.run([str(venv / "bin" / "python"), "-c", "import sample; print(sample.greet('ci'))"])
    assert greeting.stdout.strip() == "HELLO, CI!", greeting.stdout + greeting.stderr


@effect("snippets/publishing/pypi-trusted.yml", tag="v1.0.0")
def the_build_job_hands_the_files_to_the_publish_job(run):
    artifacts = run.jobs["build"].artifacts
    assert artifacts is not None, "the build job kept no artifacts"
    built = sorted(p.name for p in (artifacts / "dist").glob("sample-*"))
    assert built == ["sample-0.1.0-py3-none-any.whl", "sample-0.1.0.tar.gz"], built
    assert (job_dir(run, "pypi") / "dist" / built[0]).is_file(), "the publish job did not get dist/"
    assert run.registry.files() == [], "something was uploaded to the GitLab registry"


MY_LIB = {
    "pyproject.toml": (
        '[project]\nname = "my-lib"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        f'[build-system]\nrequires = ["{current().build_requires}"]\nbuild-backend = "uv_build"\n'
    ),
    "src/my_lib/__init__.py": "VALUE = 1\n",
}


def _member_my_lib(workdir, registry):
    """A workspace member named as the page's placeholder, packages/my-lib, locked in."""
    for name, text in MY_LIB.items():
        path = workdir / "packages" / "my-lib" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    locked = run_uv(["lock"], workdir, workdir.parent / "prepare-uv", {})
    assert locked.returncode == 0, f"uv lock with packages/my-lib failed:\n{locked.stderr}"


@effect(
    "snippets/publishing/workspace-packages.yml",
    jobs=["build-my-lib", "build-root"],
    prepare=_member_my_lib,
)
def each_job_builds_its_member(run):
    for job, member in (("build-my-lib", "my_lib"), ("build-root", "sample")):
        artifacts = run.jobs[job].artifacts
        assert artifacts is not None, f"{job} kept no artifacts"
        built = sorted(p.name for p in (artifacts / "dist").iterdir() if not p.name.startswith("."))
        assert built == [f"{member}-0.1.0-py3-none-any.whl", f"{member}-0.1.0.tar.gz"], f"{job} built {built}"
    assert re.search(r"Successfully built dist/my_lib-0\.1\.0", log_of(run, "build-my-lib"))

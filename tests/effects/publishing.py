"""Effects of the pipelines on docs/publishing.md."""

from __future__ import annotations

from harness.gitlab import expand, load

from effects import effect
from effects._common import job_dir, sample_dists


def rerun_job_script(run, job: str):
    """Run a job's script again in its working copy, as a retried job would."""
    config = load(run.text)
    values = dict(run.variables)
    for mapping in (config.get("variables") or {}, config[job].get("variables") or {}):
        values.update({k: expand(str(v), values) for k, v in mapping.items()})
    script = "set -e\n" + "\n".join(config[job]["script"])
    return run.sandbox.run(script, cwd=job_dir(run, job), env=values)


@effect("snippets/publishing/gitlab-registry.yml", tag="v1.2.3")
def tagged_version_is_published_and_a_retry_passes(run):
    expected = sample_dists("1.2.3")
    assert run.registry.files() == expected
    retry = rerun_job_script(run, "publish")
    assert retry.returncode == 0, f"a retried publish job fails:\n{retry.stderr[-1500:]}"
    skipped = retry.stderr.count("already exists, skipping")
    assert skipped == len(expected), f"the retry skipped {skipped} of {len(expected)} files:\n{retry.stderr}"
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


@effect("snippets/publishing/workspace-packages.yml", jobs=["build-sample-lib", "build-sample"])
def each_job_builds_its_member(run):
    for job, member in (("build-sample-lib", "sample_lib"), ("build-sample", "sample")):
        artifacts = run.jobs[job].artifacts
        assert artifacts is not None, f"{job} kept no artifacts"
        built = sorted(p.name for p in (artifacts / "dist").iterdir() if not p.name.startswith("."))
        assert built == [f"{member}-0.1.0-py3-none-any.whl", f"{member}-0.1.0.tar.gz"], f"{job} built {built}"

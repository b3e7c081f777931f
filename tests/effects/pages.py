"""Effect of the pipeline on docs/pages.md: this project's own `pages` job builds this site.

The run's repository holds this project's files instead of the sample project, and only the `pages`
job runs (the `checks` job runs this very suite). The job must leave the built site as its artifact:
`public/index.html` and a page for every page in mkdocs.yml's nav.
"""

from __future__ import annotations

import shutil
import subprocess

import yaml
from effects import effect
from effects._common import ROOT

def _project_files() -> list[str]:
    """This repository's files, as a clone of it has them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _this_project(workdir, registry):
    """The run's repository holds this project instead of the sample (its .gitlab-ci.yml is the
    example, which the runner wrote already)."""
    for entry in workdir.iterdir():
        if entry.name != ".gitlab-ci.yml":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for name in _project_files():
        if name != ".gitlab-ci.yml":
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, workdir / name)


def _nav_pages(nav) -> list[str]:
    found = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        found += _nav_pages(value) if isinstance(value, list) else [value]
    return found


@effect(".gitlab-ci.yml", jobs=["pages"], prepare=_this_project)
def the_site_is_the_pages_artifact(run):
    assert list(run.jobs) == ["pages"], f"jobs that ran: {list(run.jobs)}"
    artifacts = run.jobs["pages"].artifacts
    assert artifacts is not None, "the pages job uploaded no artifacts"
    public = artifacts / "public"
    assert (public / "index.html").stat().st_size > 0, "public/index.html is missing or empty"
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    for page in _nav_pages(config["nav"]):
        built = public / ("index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html")
        assert built.is_file(), f"{page} was not built into {built.relative_to(artifacts)}"
    (command,) = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())["pages"]["script"]
    shown = (public / "pages" / "index.html").read_text()
    assert command in shown, f"the Pages page does not show this pipeline's `{command}`"
    # `--only-group site`: the documentation tools, and not the checker's.
    site_packages = list((run.jobs["pages"].dir / ".venv" / "lib").glob("python3.*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site_packages[0].glob("*.dist-info")}
    assert "mkdocs_material" in installed, f"mkdocs-material is not in the job's .venv: {sorted(installed)}"
    assert not installed & {"pytest", "check_jsonschema", "pypiserver"}, (
        f"the job installed the checker's packages too: {sorted(installed & {'pytest', 'check_jsonschema', 'pypiserver'})}"
    )

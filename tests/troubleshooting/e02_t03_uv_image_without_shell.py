"""T3. The job does not start with the `uv` image (distroless: no shell)."""

from __future__ import annotations

import re

from effects import effect
from effects._common import log_of
from harness import gitlab
from harness.fix_jobs import job, sh
from harness.uv_under_test import current

from troubleshooting._in_pipeline import tag_version, uv_versions
from troubleshooting._reproducer import failed, reproduces


@reproduces("T3")
def test_distroless_image_has_no_shell(entry, sandbox, request):
    # The Docker executor hands the image its shell command; the entrypoint /uv receives it.
    out = failed(entry.where, sh(sandbox, "uv sh -c 'echo job script'"))
    entry.shows(entry.block("unrecognized subcommand"), out)
    image = job(entry.fix("derived-image.yml"), {}).image
    assert gitlab.image_problem(image) is None, gitlab.image_problem(image)
    tag = image.rsplit(":", 1)[1]
    assert not re.fullmatch(r"latest|\d+\.\d+(\.\d+)?", tag), f"{image} is a distroless tag"


@effect("snippets/troubleshooting/derived-image.yml")
def the_job_runs_the_uv_its_image_names(run):
    version = tag_version(run)
    assert version == current().pinned, f"the image tag names uv {version}, not the pin {current().pinned}"
    ran = current().version  # what the image's uv is here: the pin, unless --uv names another
    assert uv_versions(log_of(run, "test")) == [ran], f"the job did not log uv {ran}"

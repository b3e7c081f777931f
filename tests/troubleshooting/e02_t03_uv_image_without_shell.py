"""T3. The job does not start with the `uv` image (distroless: no shell)."""

from __future__ import annotations

import re

from effects import effect
from harness import gitlab
from harness.fix_jobs import job, sh

from troubleshooting._in_pipeline import runs_the_uv_its_image_names
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
    runs_the_uv_its_image_names(run)

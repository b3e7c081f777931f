"""T2. The job cannot pull the uv image: manifest unknown."""

from __future__ import annotations

import re

from effects import effect
from harness import gitlab
from harness.fix_jobs import job

from troubleshooting._in_pipeline import runs_the_uv_its_image_names
from troubleshooting._reproducer import reproduces


@reproduces("T2")
def test_image_tag_does_not_exist(entry, sandbox, request):
    block = entry.block("manifest unknown")
    ref = re.search(r'"([^"\s]+)"', block.source)
    assert ref, f"{block.where()}: no quoted image reference"
    assert gitlab.image_problem(ref[1]), f"{block.where()}: the checker's image rule accepts {ref[1]}"
    image = job(entry.fix("existing-image-tag.yml"), {}).image
    assert gitlab.image_problem(image) is None, gitlab.image_problem(image)


@effect("snippets/troubleshooting/existing-image-tag.yml")
def the_job_runs_the_uv_its_image_tag_names(run):
    # Whether the registry has the tag is the YAML check's image rule; here the job's script runs.
    runs_the_uv_its_image_names(run)

"""T2. The job cannot pull the uv image: manifest unknown."""

from __future__ import annotations

import re

from effects import effect
from effects._common import log_of
from harness import gitlab
from harness.fix_jobs import job
from harness.uv_under_test import current

from troubleshooting._in_pipeline import tag_version, uv_versions
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
    version = tag_version(run)
    assert version == current().pinned, f"the image tag names uv {version}, not the pin {current().pinned}"
    ran = current().version  # what the image's uv is here: the pin, unless --uv names another
    assert uv_versions(log_of(run, "test")) == [ran], f"the job did not log uv {ran}"

"""T19. `uv self update` fails inside the uv image."""

from __future__ import annotations

import re

from effects import effect
from effects._common import log_of
from harness import gitlab
from harness.fix_jobs import job, run_job, sh
from harness.uv_under_test import current

from troubleshooting._in_pipeline import uv_versions
from troubleshooting._reproducer import failed, ok, reproduces


@reproduces("T19")
def test_self_update_in_image(entry, sandbox, request):
    entry.shows(entry.block("Self-update"), failed(entry.where, sh(sandbox, "uv self update")))
    fix = job(entry.fix("pin-uv-by-image.yml"), {})
    assert gitlab.image_problem(fix.image) is None, gitlab.image_problem(fix.image)
    out = ok(fix.where, run_job(sandbox, fix, cwd=sandbox.root / "work", env={}))
    # The image's uv is the uv under test here; the versions check holds UV_VERSION to the pin.
    assert out.split()[:2] == ["uv", current().version], f"the job ran another uv: {out}"


@effect("snippets/troubleshooting/pin-uv-by-image.yml")
def the_job_logs_the_pinned_uv(run):
    pin = re.search(r'UV_VERSION: "(.+)"', run.text)[1]
    assert pin == current().pinned, f"UV_VERSION {pin} is not the pin {current().pinned}"
    ran = current().version  # what the image's uv is here: the pin, unless --uv names another
    assert uv_versions(log_of(run, "test")) == [ran], f"the job did not log uv {ran}"

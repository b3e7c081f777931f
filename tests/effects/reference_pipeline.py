"""Effects of the pipeline on docs/reference-pipeline.md."""

from __future__ import annotations

from effects import effect
from effects._common import (
    assert_matrix_ran,
    cache_keys,
    sample_dists,
    venv_python_version,
)
from effects.publishing import assert_credentials_everywhere, publish_index
from harness.uv_under_test import current


@effect("snippets/reference-pipeline/pipeline.yml", tag="v2.0.0", prepare=publish_index)
def every_stage_ran_and_the_tag_was_published(run):
    versions = ("3.11", "3.12", "3.13")
    assert_matrix_ran(run, versions)
    # The other jobs get the pipeline's PYTHON_VERSION from the default image.
    assert venv_python_version(run, "lint") == "3.12", "lint did not run on the pipeline's Python 3.12"
    assert run.registry.files() == sample_dists("2.0.0")
    assert_credentials_everywhere(run)
    keys = cache_keys(run)
    for version in versions:
        prefix = f"uv-{current().pinned}-python{version}-"
        assert any(k.startswith(prefix) for k in keys), f"no cache for Python {version} (keys: {sorted(keys)})"

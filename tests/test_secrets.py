"""No example leaks a credential (rules in harness/secrets.py); a block marked `unsafe` must be rejected.

One item per example that can carry secrets: YAML, bash, sh, shell and console blocks. The languages are
claimed by test_yaml.py and test_shell.py, so this module declares no LANGUAGES.
"""

from __future__ import annotations

import pytest
from harness import secrets, shell
from harness.collect import examples
from harness.gitlab import check_yaml

EXAMPLES = [e for e in examples() if e.lang in secrets.LANGUAGES]


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_no_secret_leaks(example, record_property):
    record_property("example", str(example))
    if "unsafe" in example.markers:
        # The page shows what not to do: the checker must say no to it.
        record_property("check", "unsafe")
        rejected = [str(f) for f in secrets.rejections(example, shell.site_findings().get(str(example), []))]
        if example.lang in ("yaml", "yml"):
            rejected += check_yaml(example)
        record_property("rejected_by", rejected)
        assert rejected, (
            f"{example.where(-1)}: marked unsafe ({example.markers.get('reason')}), but neither the secrets "
            "rule, bash -n, ShellCheck nor the YAML checks reject it"
        )
        return
    record_property("check", "secrets")
    found = secrets.check(example)
    assert not found, "\n".join(map(str, found))

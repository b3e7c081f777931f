"""Never crash, never hang: every input ends as findings or a pass, in bounded time.

Property tests (Hypothesis) feed the YAML checks (harness/gitlab), the shell extraction and the
secrets rules with generated YAML documents, generated pipelines and mutated real ones; fixed cases
cover each hostile input the issue names. Settings: derandomized (the same examples every run, so
CI is stable), no example database written, a per-example deadline, and a bounded number of
examples per property (see SETTINGS).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, find, given, settings
from hypothesis import strategies as st

from harness import gitlab, reader, secrets, shell
from harness.collect import Example

SETTINGS = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
READER = gitlab.Rules(reader=True)
SECONDS = 10  # the bound one hostile input may take, on a loaded 2-core machine


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "robustness")


def as_example(text: str) -> Example:
    lines = max(1, text.count("\n") + 1)
    return Example(
        page="docs/fuzz.md",
        line=1,
        lang="yaml",
        info='yaml title=".gitlab-ci.yml"',
        source=text,
        origins=tuple(("docs/fuzz.md", n + 2) for n in range(lines)),
    )


def check_everything(text: str) -> None:
    """Every pure-Python check on one text: YAML checks in both strictness modes, shell extraction
    and the secrets rules. Any exception is a crash; findings must be well formed."""
    for rules in (gitlab.Rules(), READER):
        for kind, findings in gitlab.check_text(text, rules=rules).items():
            assert kind in gitlab.KINDS
            for f in findings:
                assert (
                    isinstance(f.line, int) and f.line >= 0 and f.message and f.level in ("error", "note")
                ), f
    ex = as_example(text)
    shell.extract(ex)
    secrets.check(ex)
    shell.powershell_jobs(ex)
    gitlab.check_yaml(ex)


# --- generated YAML --------------------------------------------------------------------------------

keys = st.one_of(
    st.text(min_size=1, max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.sampled_from(
        sorted(gitlab.GLOBAL_KEYWORDS | {"script", "image", "needs", "extends", "stage", "cache"})
    ),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


@SETTINGS
@given(values)
def test_any_yaml_value(value):
    check_everything(yaml.safe_dump(value, allow_unicode=True))


# --- generated pipelines ---------------------------------------------------------------------------

names = st.one_of(st.sampled_from(["test", "build", ".tpl", "publish", "default"]), st.integers(0, 999))
commands = st.one_of(
    st.sampled_from(
        [
            "uv sync --locked",
            "echo $UV_VERSION $CI_COMMIT_TAG",
            "if [ -f x ]; then",
            "$env:Path = 1",
            "uv publish $package",
            "pip install uv==0.4",
            "export A=1",
            "echo ${A:-x}",
        ]
    ),
    st.text(max_size=40),
)
variables = st.dictionaries(st.one_of(st.text(min_size=1, max_size=10), st.integers()), scalars, max_size=4)


@st.composite
def pipelines(draw):
    """Pipelines built from GitLab's keywords with values of every type, integer names included."""
    doc = {}
    if draw(st.booleans()):
        doc["variables"] = draw(variables)
    if draw(st.booleans()):
        doc["stages"] = draw(
            st.lists(st.one_of(st.text(max_size=8), st.lists(st.text(max_size=8), max_size=2)), max_size=4)
        )
    if draw(st.booleans()):
        doc["include"] = draw(
            st.one_of(
                st.text(max_size=20),
                st.lists(
                    st.dictionaries(
                        st.sampled_from(["local", "remote", "template", "project", "file", "inputs"]),
                        scalars,
                        max_size=2,
                    ),
                    max_size=2,
                ),
            )
        )
    for _ in range(draw(st.integers(0, 4))):
        job = {}
        job["script"] = draw(
            st.one_of(
                commands, st.lists(st.one_of(commands, st.lists(commands, max_size=2)), max_size=4), scalars
            )
        )
        for key, strategy in (
            (
                "image",
                st.one_of(
                    st.sampled_from(
                        [
                            "ghcr.io/astral-sh/uv:python3.12-bookworm",
                            "ghcr.io/astral-sh/uv:0.5.4",
                            "ghcr.io/astral-sh/uv:$UV_VERSION-alpine",
                        ]
                    ),
                    scalars,
                ),
            ),
            ("variables", variables),
            (
                "needs",
                st.one_of(
                    st.lists(
                        st.one_of(names, st.dictionaries(st.sampled_from(["job", "optional"]), scalars)),
                        max_size=3,
                    ),
                    scalars,
                ),
            ),
            ("extends", st.one_of(names, st.lists(names, max_size=3))),
            ("stage", st.one_of(st.text(max_size=8), scalars)),
            ("tags", st.lists(st.one_of(st.sampled_from(["windows", "linux"]), scalars), max_size=2)),
            (
                "cache",
                st.one_of(
                    st.dictionaries(
                        st.sampled_from(["key", "paths", "policy"]),
                        st.one_of(
                            scalars,
                            st.lists(scalars, max_size=3),
                            st.dictionaries(
                                st.sampled_from(["files", "prefix"]), st.lists(scalars, max_size=12)
                            ),
                        ),
                    ),
                    scalars,
                ),
            ),
            (
                "parallel",
                st.one_of(
                    st.integers(),
                    st.fixed_dictionaries(
                        {
                            "matrix": st.lists(
                                st.dictionaries(st.text(max_size=5), st.lists(scalars, max_size=5)),
                                max_size=3,
                            )
                        }
                    ),
                ),
            ),
            (
                "rules",
                st.lists(
                    st.dictionaries(
                        st.sampled_from(["if", "when", "variables"]),
                        st.one_of(scalars, st.sampled_from(["$A =~ /a(b/", "$B =~ /x/i"])),
                    ),
                    max_size=2,
                ),
            ),
        ):
            if draw(st.booleans()):
                job[key] = draw(strategy)
        doc[draw(names)] = job
    return doc


@SETTINGS
@given(pipelines())
@example({"variables": {123456: "x"}, 123: {"script": ["echo"]}})  # the integer-key crash of issue 8
def test_any_pipeline(doc):
    check_everything(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def test_the_pipeline_strategy_finds_the_integer_key_crash():
    """The generator reaches the input that once crashed the schema check (`variables: {123: ...}`),
    and on that input GitLab's schema run on the document as loaded (what the checker did before
    `schema_view`) still raises the very TypeError of issue 8: the property above would have found it.
    The first such input is the one used (generate phase only): what this proves is that the
    generator reaches one, not how small one can be (shrinking it cost more than finding it)."""
    found = find(
        pipelines(),
        lambda d: isinstance(d.get("variables"), dict) and any(isinstance(k, int) for k in d["variables"]),
        settings=settings(database=None, derandomize=True, max_examples=2000, phases=[Phase.generate]),
    )
    loaded = gitlab.load(yaml.safe_dump(found, sort_keys=False))
    with pytest.raises(TypeError, match="expected string or bytes-like object"):
        list(gitlab.validators()[0].iter_errors(loaded))
    check_everything(yaml.safe_dump(found, sort_keys=False))  # and now it is findings or a pass


# --- mutated real pipelines ------------------------------------------------------------------------

SEED = (
    'variables:\n  UV_VERSION: "0.13.9"\n  UV_CACHE_DIR: .uv-cache\n.tpl: &tpl\n  - uv sync --locked\n'
    "test:\n  image: ghcr.io/astral-sh/uv:$UV_VERSION-python3.12-trixie-slim\n  cache:\n    key:\n      files: [uv.lock]\n"
    "    paths: [$UV_CACHE_DIR]\n  script:\n    - *tpl\n    - !reference [.tpl]\n    - >\n      uv run pytest\n        -q\n"
)


@SETTINGS
@given(st.data())
def test_mutated_pipelines(data):
    text = SEED
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 5))
        insert = data.draw(
            st.one_of(
                st.text(max_size=6),
                st.sampled_from(
                    ["*", "&a ", "!", ":", "- ", "\n  ", "\t", "{", "[", "---\n", "\x00", "\ufeff"]
                ),
            )
        )
        text = text[:at] + insert + text[at + cut :]
    check_everything(text)


# --- each hostile input the issue names ------------------------------------------------------------

BOMB = "".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        *(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")),
    ]
)
HOSTILE = {
    "integer and boolean keys": "variables:\n  123456: x\n  true: y\n123:\n  script: [echo]\nfalse:\n  script: [echo]\n",
    "alias bomb": BOMB,
    "recursive anchor": "a: &a\n  b: *a\njob:\n  script: [echo]\n",
    "recursive sequence": "a: &a [1, *a]\n",
    "200 kB line": "job:\n  script:\n    - echo " + "x" * 200_000 + "\n",
    "binary bytes": "job:\n  script: [\x00\x01\x02\x7f]\n",
    "multiple documents": "a: 1\n---\nb: 2\n---\nc: 3\n",
    "unknown tags": "job:\n  script: !shell echo\n  image: !!python/object:os.system x\n",
    "deep nesting": "a: " + "[" * 500 + "]" * 500 + "\n",
    "many aliases under the limit": "a: &a [x]\n" + "".join(f"j{i}:\n  script: *a\n" for i in range(2000)),
    "huge matrix": "job:\n  script: [echo $A]\n  parallel:\n    matrix:\n      - "
    + ", ".join(f"V{i}: [1,2,3,4,5,6,7,8,9,10]" for i in range(8))
    + "\n",
    "extends diamond": "".join(f".t{i}:\n  extends: [.t{i + 1}, .t{i + 2}]\n" for i in range(40))
    + "job:\n  extends: .t0\n  script: [x]\n",
    "reference loop": ".a:\n  script: [!reference [.b, script]]\n.b:\n  script: [!reference [.a, script]]\njob:\n  script: [!reference [.a, script]]\n",
    "spec header after comments": "# c\n\nspec:\n  inputs: {x: {default: y}}\n---\njob:\n  script: [echo $[[ inputs.x ]]]\n",
    "nulls everywhere": "job:\n  script:\n  image:\n  cache:\n  needs:\n  variables:\n",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_inputs_end_as_findings_in_bounded_time(text, tmp_path):
    start = time.perf_counter()
    check_everything(text)
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    problems, _ = reader.check_file(path)  # also bash -n and ShellCheck on what loads
    assert all(p.line >= 1 and p.message for p in problems)
    assert time.perf_counter() - start < SECONDS


def test_alias_bomb_is_one_finding_like_gitlabs():
    found = gitlab.check_text(BOMB)
    assert [f.message.split(":")[0] for f in found["load"]] == ["The parsed YAML is too big"]

"""The shell and secrets checks on deliberately broken inputs (tests/fixtures/shell), not on the site.

Every expected file:line below was counted by hand in the fixture files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from harness import secrets, shell
from harness.collect import ROOT, Example, collect_page

FIXTURES = Path(__file__).parent / "fixtures" / "shell"
REL = FIXTURES.relative_to(ROOT).as_posix()


@pytest.fixture(autouse=True)
def _kind(record_property):
    record_property("check", "shell-checker")


def yaml_example(name: str) -> Example:
    """A fixture file as a whole-file YAML example: source line i is line i + 1 of the file."""
    rel = f"{REL}/{name}"
    text = (FIXTURES / name).read_text()
    origins = tuple((rel, n) for n in range(1, len(text.splitlines()) + 1))
    return Example(page=rel, line=1, lang="yaml", info="yaml", source=text, origins=origins)


def page_examples() -> dict[int, Example]:
    """The fixture page's fences by opening line, collected as the site collects its pages."""
    page = collect_page(FIXTURES / "docs" / "page.md", root=FIXTURES)
    assert page.problems == ()
    return {e.line: e for e in page.examples}


def lint(example: Example) -> list[str]:
    return [str(f) for f in shell.lint_all([example])[str(example)]]


def codes(example: Example) -> list[tuple[str, str]]:
    """(file:line, code) of the lint findings."""
    return [(f.where, f.code) for f in shell.lint_all([example])[str(example)]]


def secret_codes(example: Example) -> list[tuple[str, str]]:
    return [(f.where, f.code) for f in secrets.check(example)]


# --- extraction -----------------------------------------------------------------------------------


def test_jobs_get_default_before_script_references_and_templates_mapped_to_their_lines():
    example = yaml_example("clean.yml")
    scripts, problems = shell.extract(example)
    assert problems == []
    f = f"{REL}/clean.yml"
    assert {s.name: s.body for s in scripts} == {
        "test": [
            ("uv --version", f"{f}:13"),  # default: before_script
            ("uv sync --locked", f"{f}:17"),  # !reference [.sync, script]
            ("uv run --frozen pytest -q", f"{f}:23"),  # a folded `>` item is one line
        ],
        "test after_script": [("uv cache prune --ci", f"{f}:26")],
        "release": [
            ("uv --version", f"{f}:13"),
            ('uv build --out-dir "$dist_dir" --all-packages', f"{f}:34"),  # from the template it extends
            ('for package in "$dist_dir"/*.whl; do', f"{f}:36"),  # a `- |` item starts on the next line
            ('  uv publish "$package"', f"{f}:37"),
            ("done", f"{f}:38"),
        ],
        "release after_script": [('echo "published from $dist_dir"', f"{f}:45")],
    }
    release = next(s for s in scripts if s.name == "release")
    # GitLab's bash shell settings, then the lowercase YAML variable declared for ShellCheck.
    assert release.text.splitlines()[:3] == ["#!/usr/bin/env bash", "set -eo pipefail", "export dist_dir"]


def test_console_lints_commands_and_continuations_only():
    example = page_examples()[6]
    (script,) = shell.extract(example)[0]
    f = "docs/page.md"
    assert script.body == [
        ("uv build", f"{f}:7"),
        ("uv publish \\", f"{f}:10"),
        ("    --username gitlab-ci-token \\", f"{f}:11"),
        ("    --password $JOB_TOKEN dist/*", f"{f}:12"),
    ]


def test_reference_to_another_file_becomes_a_comment():
    example = replace(
        yaml_example("clean.yml"), source="job:\n  script:\n    - !reference [.elsewhere, script]\n"
    )
    (script,) = shell.extract(example)[0]
    assert script.body[0][0].startswith("# !reference [.elsewhere, script] is defined outside")
    assert lint(example) == []


# --- bash -n and ShellCheck -----------------------------------------------------------------------


def test_clean_pipeline_has_no_findings():
    example = yaml_example("clean.yml")
    assert lint(example) == []
    assert secrets.check(example) == []


def test_syntax_error_in_a_literal_block_is_reported_at_its_yaml_line():
    found = lint(yaml_example("syntax-error.yml"))
    assert f"{REL}/syntax-error.yml:9: bash-n syntax error near unexpected token `fi'" in found
    # ShellCheck stops at the same place; nothing is reported outside the loop.
    assert {line.split(": ")[0] for line in found} <= {f"{REL}/syntax-error.yml:{n}" for n in (7, 9)}


def test_unquoted_publish_in_a_shared_template_is_reported_once_at_the_template():
    found = lint(yaml_example("unquoted-publish.yml"))
    assert found == [
        f"{REL}/unquoted-publish.yml:6: SC2086 Double quote to prevent globbing and word splitting."
    ]


def test_loop_over_ls_output():
    assert codes(yaml_example("ls-loop.yml")) == [(f"{REL}/ls-loop.yml:5", "SC2045")]


def test_console_command_with_unquoted_variable_in_a_continuation_line():
    assert codes(page_examples()[6]) == [("docs/page.md:12", "SC2086")]


def test_console_command_that_does_not_parse():
    found = lint(page_examples()[18])
    # bash stops at the end of the input: reported at the last command line.
    assert "docs/page.md:20: bash-n syntax error: unexpected end of file" in found
    assert any(line.startswith("docs/page.md:19: SC10") for line in found)  # ShellCheck: the open `do`


def test_console_output_block_has_nothing_to_lint_and_bare_output_is_named():
    examples = page_examples()
    assert lint(examples[24]) == []  # marked output
    assert lint(examples[28]) == ["docs/page.md:28: console no `$ ` command: show output as `text`"]


def test_sh_block_is_linted_as_posix_sh():
    assert codes(page_examples()[32]) == [("docs/page.md:33", "SC3010")]


def test_marker_variables_are_known_to_shellcheck():
    example = page_examples()[47]
    assert lint(example) == []
    assert codes(replace(example, markers={})) == [("docs/page.md:49", "SC2154")]


def test_style_level_is_reported_but_does_not_fail():
    source = 'job:\n  script:\n    - V=`uv version --short`\n    - echo "$V"\n'
    example = replace(yaml_example("clean.yml"), source=source)
    found = shell.lint_all([example])[str(example)]
    assert [(f.where, f.code, f.level) for f in found] == [(f"{REL}/clean.yml:3", "SC2006", "style")]
    assert shell.failures(found) == []


def test_variable_set_in_script_and_read_in_after_script():
    found = lint(yaml_example("after-script.yml"))
    expected = (
        f"{REL}/after-script.yml:11: after-script $PKG_VERSION is set in script "
        f"({REL}/after-script.yml:7), but after_script runs in a separate shell where it is empty; "
        "define it under variables: or recompute it"
    )
    assert found == [expected]


def test_yaml_that_does_not_load_is_one_finding():
    example = replace(yaml_example("clean.yml"), source="job:\n  script: [a\n")
    (finding,) = shell.lint_all([example])[str(example)]
    assert finding.where == f"{REL}/clean.yml:3" and finding.code == "yaml"


def test_component_file_skips_its_spec_header_and_inputs_are_words():
    example = yaml_example("component.yml")
    (script,) = shell.extract(example)[0]
    assert script.body[0] == ('uv python pin "INPUT_PYTHON_VERSION"', f"{REL}/component.yml:10")
    assert codes(example) == [(f"{REL}/component.yml:11", "SC2086")]


def test_one_process_and_per_file_processes_agree():
    examples = [yaml_example(n) for n in ("ls-loop.yml", "unquoted-publish.yml", "clean.yml")]
    assert shell.lint_all(examples) == shell.lint_all(examples, one_process=False)


# --- secrets --------------------------------------------------------------------------------------


def test_seed_004_echo_of_the_publish_password():
    example = yaml_example("seed-004-echo-password.yml")
    f = f"{REL}/seed-004-echo-password.yml"
    assert [str(x) for x in secrets.check(example)] == [
        f"{f}:23: secret-print `echo` writes $UV_PUBLISH_PASSWORD to the job log"
    ]
    # ShellCheck sees the unquoted expansions on the same lines.
    assert codes(example) == [(f"{f}:{n}", "SC2086") for n in (19, 21, 22, 23, 24)]


def test_credentials_in_urls_except_the_git_job_token_rewrite():
    f = f"{REL}/token-in-url.yml"
    found = secret_codes(yaml_example("token-in-url.yml"))
    # Not line 9 (git config ... insteadOf) nor 15 (the same rule as git configuration variables).
    assert found == [(f"{f}:{n}", "secret-url") for n in (3, 10, 17)]


def test_set_x_before_a_secret_and_debug_trace():
    f = f"{REL}/set-x.yml"
    # Line 4: set -x before the token expands (the job "quiet" turns it off in time); 17: CI_DEBUG_TRACE.
    assert secret_codes(yaml_example("set-x.yml")) == [(f"{f}:{n}", "secret-trace") for n in (4, 17)]


def test_env_dump_in_a_bash_block():
    assert secret_codes(page_examples()[47]) == [("docs/page.md:50", "secret-dump")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('echo "$CI_JOB_TOKEN" | docker login -u gitlab-ci-token --password-stdin', []),
        ('printf "machine x login y password %s\\n" "$CI_JOB_TOKEN" > ~/.netrc', []),
        ("echo '$CI_JOB_TOKEN is masked in logs'", []),
        ('echo "${CI_JOB_TOKEN:+token is set}"', []),
        ('echo "$CI_JOB_TOKEN" >&2', ["secret-print"]),
        ('echo "$CI_JOB_TOKEN" | tee token.txt', ["secret-print"]),
        ("cat ~/.pypirc", ["secret-print"]),
        ("env | grep UV_", ["secret-dump"]),
        ("env UV_NO_CACHE=1 uv build", []),
        ("export UV_PUBLISH_PASSWORD=glpat-not-a-real-one", ["secret-literal"]),
        ('export UV_PUBLISH_PASSWORD="$CI_JOB_TOKEN"', []),
        ('bash -x ./publish.sh "$UV_PUBLISH_TOKEN"', ["secret-trace"]),
        ('git clone "https://gitlab-ci-token:${CI_JOB_TOKEN}@${CI_SERVER_HOST}/group/dep.git"', []),
        ('uv add "git+https://gitlab-ci-token:${CI_JOB_TOKEN}@${CI_SERVER_HOST}/g/dep.git"', ["secret-url"]),
    ],
)
def test_secret_rules_on_single_commands(line, expected):
    found = secrets.script_problems([(line, "x.sh:1")])
    assert [f.code for f in found] == expected


# --- unsafe ---------------------------------------------------------------------------------------


def test_unsafe_block_is_rejected_and_a_clean_one_marked_unsafe_is_not():
    examples = page_examples()
    unsafe, harmless = examples[37], examples[42]
    assert unsafe.markers["unsafe"] == "" and harmless.markers["reason"]
    rejected = secrets.rejections(unsafe, shell.lint_all([unsafe])[str(unsafe)])
    assert [str(f) for f in rejected] == [
        "docs/page.md:38: secret-print `echo` writes $CI_JOB_TOKEN to the job log"
    ]
    assert secrets.rejections(harmless, shell.lint_all([harmless])[str(harmless)]) == []


# --- GitLab features: spec: headers after comments, PowerShell jobs --------------------------------


def test_spec_header_after_comments_keeps_the_lines_of_the_file():
    text = "# A component.\n\n" + (FIXTURES / "component.yml").read_text()
    example = replace(yaml_example("component.yml"), source=text, origins=tuple(
        (f"{REL}/component.yml", n) for n in range(1, len(text.splitlines()) + 1)))
    (script,) = shell.extract(example)[0]
    # two lines in front: the script lines 10 and 11 of the fixture are now 12 and 13
    assert [where for _, where in script.body] == [f"{REL}/component.yml:12", f"{REL}/component.yml:13"]


def test_powershell_jobs_are_recognised_not_linted_as_bash():
    text = (
        "windows:\n  tags: [saas-windows-medium-amd64]\n  script:\n"
        '    - $env:Path = "$env:USERPROFILE\\.local\\bin;$env:Path"\n    - uv sync --locked\n'
        "linux:\n  script:\n    - uv sync --locked\n"
    )
    example = replace(yaml_example("clean.yml"), source=text)
    assert shell.powershell_jobs(example) == ["windows"]
    assert [s.name for s in shell.extract(example)[0]] == ["linux"]
    assert lint(example) == []
    # a job with no Windows tag whose lines are PowerShell cmdlets is PowerShell too
    cmdlets = replace(example, source="win:\n  script:\n    - Write-Host hello\n")
    assert shell.powershell_jobs(cmdlets) == ["win"]

"""The documentation: a short README as the front door and one page per subject under docs/,
held together by links that resolve. Every relative link of README.md and docs/*.md names an
existing file and, after `#`, a heading of it (GitHub's anchor rule); the README links every
page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from foundation.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
README_MAX_LINES = 250

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def outside_code_blocks(text: str) -> list[str]:
    """The lines outside fenced code blocks: a `# comment` in a code block is no heading."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: its text (a link's text, a code span's content) in lower
    case, punctuation but hyphens and underscores dropped, each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a file's headings; a repeated one gets -1, -2, ... as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in outside_code_blocks(path.read_text()):
        match = HEADING.match(line)
        if not match:
            continue
        slug = anchor(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """The targets of a file's links that point inside the repository (no URL scheme), code
    spans left out: a `[x](y)` in code is no link."""
    prose = [CODE_SPAN.sub("", line) for line in outside_code_blocks(path.read_text())]
    return [target for line in prose for target in LINK.findall(line) if not SCHEME.match(target)]


def broken(path: Path, target: str) -> str | None:
    """Why a link of `path` does not resolve, or None when it does."""
    file_part, _, fragment = target.partition("#")
    resolved = (path.parent / file_part).resolve() if file_part else path
    if not resolved.exists():
        return f"{file_part}: no such file"
    if fragment and fragment not in anchors(resolved):
        return f"#{fragment}: no such heading in {file_part or path.name}"
    return None


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move a subject to docs/"
    )


@pytest.mark.parametrize("path", pages(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(path):
    failures = [
        f"({target}) {reason}"
        for target in relative_links(path)
        if (reason := broken(path, target))
    ]
    assert not failures, "\n".join(failures)


def test_the_readme_links_every_docs_page():
    linked = {
        (README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)
    }
    unlinked = [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert not unlinked, f"README.md links no docs/{', docs/'.join(unlinked)}"


@pytest.mark.parametrize(
    "heading, expected",
    [
        (
            "The dev reset: everything in a member account but its baseline, deleted",
            "the-dev-reset-everything-in-a-member-account-but-its-baseline-deleted",
        ),
        ("Where `make test`'s time goes", "where-make-tests-time-goes"),
        ("Account hygiene_and [a link](x.md) — more", "account-hygiene_and-a-link--more"),
    ],
)
def test_anchors_follow_githubs_rule(heading, expected):
    assert anchor(heading) == expected


def test_a_broken_link_or_anchor_is_found(tmp_path):
    """The checks can fail: a missing file and a missing heading are both reported."""
    (tmp_path / "target.md").write_text("# Title\n\n## A section\n\n```sh\n# not a heading\n```\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](target.md#a-section) [gone](missing.md) [bad](target.md#not-a-heading)"
        " `[code](nowhere.md)` [self](#nope) [web](https://example.com/x#y)\n"
    )
    assert [target for target in relative_links(page) if broken(page, target)] == [
        "missing.md",
        "target.md#not-a-heading",
        "#nope",
    ]


# --- the real-account path, as a newcomer reads it ----------------------------------------------

# The commands whose order the README, docs/real-aws.md and the root-steps checklist share.
PATH_COMMANDS = ("bootstrap", "adopt", "apply", "profiles", "root-verify")


def section(path: Path, heading: str, next_heading: str) -> str:
    text = path.read_text()
    return text[text.index(heading) : text.index(next_heading, text.index(heading))]


# A numbered step that starts with its command(s): "4. `make bootstrap …`, then `make …`".
STEP_COMMANDS = re.compile(r"^\s*\d+\.\s+((?:`make [^`]*`(?:,? then )?)+)", re.MULTILINE)


def path_commands(text: str, *, leading: bool = False) -> list[str]:
    """The path's commands `text` names, in order (`leading`: only those a numbered step
    starts with)."""
    named = "".join(STEP_COMMANDS.findall(text)) if leading else text
    return [name for name in re.findall(r"make ([a-z-]+)", named) if name in PATH_COMMANDS]


def in_order_within(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(any(name == other for other in remaining) for name in part)


def test_the_readme_and_the_docs_follow_the_checklist_in_its_order(example_config):
    from scripts.commands.root_steps import rendered_steps, template_context

    checklist = path_commands(
        "\n".join(step.body for step in rendered_steps(template_context(example_config, None)))
    )
    readme = path_commands(
        section(README, "## Real AWS in ten lines", "## Documentation"), leading=True
    )
    docs = path_commands(
        section(DOCS / "real-aws.md", "## Step by step", "### An admin's"), leading=True
    )
    for steps in (readme, docs):
        assert {"bootstrap", "adopt", "apply", "profiles", "root-verify"} == set(steps)
    assert readme and in_order_within(readme, checklist), (readme, checklist)
    assert docs and in_order_within(docs, checklist), (docs, checklist)
    assert not in_order_within(["root-verify", "profiles"], checklist)  # able to fail


def test_the_prerequisites_name_the_aws_cli_and_its_version():
    prerequisites = section(README, "## Prerequisites", "## Two commands")
    assert "[AWS CLI](" in prerequisites and "version 2" in prerequisites


def test_the_mfa_session_is_three_lines_to_copy(tmp_path):
    page = section(DOCS / "real-aws.md", "## Credentials: the MFA session", "## The first apply")
    [script] = re.findall(r"```sh\n(.*?)```", page, re.DOTALL)
    assert "aws sts get-session-token" in script and "--profile acme-management" in script
    assert "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN" in script
    (tmp_path / "session.sh").write_text(script)
    checked = subprocess.run(["bash", "-n", str(tmp_path / "session.sh")], capture_output=True)
    assert checked.returncode == 0, checked.stderr
    assert "12 hours" in page and "ExpiredToken" in page, "what to do when it expires"
    assert "| When | What works | Why |" in page, "which credentials when"


def test_the_steps_say_what_it_costs_one_mailbox_and_how_long():
    steps = section(DOCS / "real-aws.md", "## Step by step", "### An admin's")
    assert "What it costs from now on" in steps and "guardrails.md#what-it-costs-when-idle" in steps
    assert "several minutes" in steps and "#the-first-apply-slow-or-refused-accounts" in steps
    before = section(DOCS / "real-aws.md", "## Before you start", "## Step by step")
    assert "me+aws-dev@example.com" in before
    readme = section(README, "## Real AWS in ten lines", "## Documentation")
    assert "me+aws-dev@example.com" in readme and "a dollar a month" in readme


def test_removing_an_account_is_one_path_in_order():
    removal = section(DOCS / "real-aws.md", "## Removing a member account", "## Adopting")
    order = ["make dev-reset", "make dev-destroy", "close-account", "ALLOW_ACCOUNT_REMOVAL=test"]
    assert [removal.index(step) for step in order] == sorted(removal.index(step) for step in order)
    assert "deletes its empty workspace state" in removal


def test_every_docs_link_the_helpers_print_resolves():
    printed = re.compile(r"docs/([a-z-]+\.md)(?:#([a-z0-9-]+))?")
    found = {
        match
        for source in sorted((REPO_ROOT / "scripts").rglob("*.py"))
        for match in printed.findall(source.read_text())
    }
    assert found
    for page, fragment in found:
        assert (DOCS / page).is_file(), page
        assert not fragment or fragment in anchors(DOCS / page), f"{page}#{fragment}"

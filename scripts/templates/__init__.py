"""Jinja2 templates for what helpers hand to people and tools: the root-user checklist, AWS CLI
profiles, the dev reset's aws-nuke config.

Checklist steps are written once, in a small Markdown subset (paragraphs, `- ` bullets,
`code`, **bold**, bare https:// links); `markdown_to_html` turns that subset into the HTML page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

TEMPLATES_DIR = Path(__file__).resolve().parent
# Stands in for the management account id where neither the state nor STS could tell it.
ACCOUNT_ID_PLACEHOLDER = "<management account id>"

# `code`, **bold**, or a link (a URL whose host is a <placeholder> stays text).
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|(https://[\w.-]+(?:/[^\s)<>]*)?)")


def _inline_html(text: str) -> str:
    """Escape `text`, then mark up its `code`, **bold** and https:// links."""

    def replace(match: re.Match) -> str:
        code, bold, url = match.groups()
        if code is not None:
            return f"<code>{escape(code)}</code>"
        if bold is not None:
            return f"<strong>{escape(bold)}</strong>"
        return f'<a href="{escape(url)}">{escape(url)}</a>'

    parts, last = [], 0
    for match in _INLINE.finditer(text):
        parts += [str(escape(text[last : match.start()])), replace(match)]
        last = match.end()
    return "".join(parts) + str(escape(text[last:]))


def markdown_to_html(markdown: str) -> Markup:
    """The checklist's Markdown subset as HTML: blank-line separated paragraphs and `- ` lists."""
    blocks = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [line.strip() for line in block.splitlines()]
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline_html(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{_inline_html(' '.join(lines))}</p>")
    return Markup("\n".join(blocks))


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENVIRONMENT.filters["markdown_to_html"] = markdown_to_html
# A double-quoted YAML (and JSON) string, without the HTML escapes of `tojson`.
_ENVIRONMENT.filters["quoted"] = json.dumps


def render(name: str, **context) -> str:
    return _ENVIRONMENT.get_template(name).render(**context)

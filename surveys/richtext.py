"""Labels and hints with the formatting XLSForm allows, as safe HTML.

XLSForm labels may use markdown (`*italics*`, `**bold**`, `[link](https://…)`, `# heading`) and
a little HTML (`<span style="color:#e00">`, line breaks). We render markdown inline (a label sits
inside <label> or <legend>, which only take phrasing content), then keep only that subset with
nh3 (the Ammonia sanitiser): links with http(s) only, `style` reduced to `color`.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_TAGS = {"strong", "em", "b", "i", "u", "a", "span", "br"}
_ATTRIBUTES = {"a": {"href"}, "span": {"style"}}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_MARKUP_HINT = re.compile(r"[*_\[<#\n]")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "zero" preset: only what we enable; html=True lets <span>/<br> through to the sanitiser.
    return MarkdownIt("zero", {"html": True, "breaks": True, "linkify": False}).enable(
        ["emphasis", "link", "html_inline", "newline", "escape", "backticks"]
    )


@lru_cache(maxsize=4096)
def to_html(text: str) -> str:
    """Sanitised inline HTML for a label or hint (plain text comes back escaped)."""
    if not text:
        return ""
    if not _MARKUP_HINT.search(text):
        return html.escape(text, quote=False)
    # A heading mark has no place inside a label: keep its words, in bold.
    source = _HEADING.sub("", text) if _HEADING.search(text) else text
    rendered = _markdown().renderInline(source)
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https"},
        filter_style_properties={"color"},
        link_rel="noopener noreferrer",
    )


def to_text(text: str) -> str:
    """The label's words without formatting (for page titles, summaries, exports)."""
    return html.unescape(nh3.clean(to_html(text), tags=set()))


__all__ = ["to_html", "to_text"]

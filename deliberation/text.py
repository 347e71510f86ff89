"""User-written Markdown to safe HTML: the one place where that happens.

Python-Markdown parses with raw HTML switched off (anything that looks like a tag is kept as
visible, escaped text), then nh3 cleans the result against an explicit allow-list. nh3 is the
guarantee; turning raw HTML off only means users see what they typed instead of it vanishing.

Headings are shifted down two levels (``#`` becomes ``<h3>``) so user text never competes with
the page's own ``<h1>``/``<h2>``. Images are never rendered: ``![alt](url)`` stays literal text.
"""

import html
import re

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import (
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
    SimpleTagInlineProcessor,
)
from markdown.treeprocessors import Treeprocessor

MAX_MARKDOWN_CHARS = 20000
MAX_LITE_CHARS = 2000

LINK_REL = "nofollow noopener ugc"
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_ATTRIBUTES = {"a": {"href", "title"}}

BLOCK_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
        "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
    }
)  # fmt: skip
LITE_TAGS = frozenset({"strong", "em", "code", "a", "br"})

_HEADING = re.compile(r"h([1-6])")
_WHITESPACE = re.compile(r"\s+")
_BRACKET = re.compile(r"[\[\]]")
_SHORT_SCAN = 64  # link texts up to this long are found by a plain scan
_MAX_LINK_TARGET = 2048  # characters searched for the ")" that closes a link's target


def _closing_brackets(data: str) -> dict[int, int]:
    """Maps the index of every "[" in data to the index of the "]" that closes it."""
    closing, open_at = {}, []
    for match in _BRACKET.finditer(data):
        if match.group() == "[":
            open_at.append(match.start())
        elif open_at:
            closing[open_at.pop()] = match.start()
    return closing


class _LinearLinks:
    """Link parsing without Python-Markdown's rescans, which are quadratic in the text length.

    Stock Python-Markdown scans to the end of the text for every unclosed "[" and, for every
    "[x](", for a ")": 20,000 "[" took over 30 s. Long link texts are looked up in a table of
    closing brackets built once per string (same answer as the scan); a link target is sought
    within _MAX_LINK_TARGET characters only.
    """

    _table_source: str | None = None
    _table: dict[int, int]

    def getText(self, data, index):
        if index == 0 or data[index - 1] != "[":
            return super().getText(data, index)
        depth = 1
        for pos in range(index, min(len(data), index + _SHORT_SCAN)):
            if data[pos] == "[":
                depth += 1
            elif data[pos] == "]":
                depth -= 1
                if depth == 0:
                    return data[index:pos], pos + 1, True
        if data is not self._table_source:
            self._table, self._table_source = _closing_brackets(data), data
        close = self._table.get(index - 1)
        if close is None:
            return "", len(data), False
        return data[index:close], close + 1, True

    def getLink(self, data, index):
        return super().getLink(data[: index + _MAX_LINK_TARGET], index)


class _Link(_LinearLinks, LinkInlineProcessor):
    pass


class _Reference(_LinearLinks, ReferenceInlineProcessor):
    pass


class _ShortReference(_LinearLinks, ShortReferenceInlineProcessor):
    pass


class _ShiftHeadings(Treeprocessor):
    """Moves every heading down two levels, capped at h6."""

    def run(self, root):
        for element in root.iter():
            match = _HEADING.fullmatch(element.tag) if isinstance(element.tag, str) else None
            if match:
                element.tag = f"h{min(6, int(match.group(1)) + 2)}"


class _SafeSubset(Extension):
    """No raw HTML, no images, ~~strike~~ as <del>; headings shifted for full documents."""

    def __init__(self, *, shift_headings: bool):
        super().__init__()
        self.shift_headings = shift_headings

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        for name in ("html", "image_link", "image_reference", "short_image_ref"):
            md.inlinePatterns.deregister(name)
        # Same names, patterns and priorities as Python-Markdown's own link processors.
        for name, cls, priority in (
            ("reference", _Reference, 170),
            ("link", _Link, 160),
            ("short_reference", _ShortReference, 130),
        ):
            md.inlinePatterns.register(cls(md.inlinePatterns[name].pattern, md), name, priority)
        md.inlinePatterns.register(SimpleTagInlineProcessor(r"(~~)(.+?)~~", "del"), "del", 15)
        # ~~ is ours, so \~ escapes it like the characters Markdown knows (escape_markdown).
        if "~" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "~"]
        if self.shift_headings:
            md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


def _document_parser() -> markdown.Markdown:
    # A fresh instance per call: Markdown objects keep state and are not thread-safe, and
    # building one costs well under a millisecond.
    return markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", _SafeSubset(shift_headings=True)],
        output_format="html",
    )


_BLOCK_PROCESSORS = (
    "empty", "indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote",
    "reference",
)  # fmt: skip


def _inline_parser() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[_SafeSubset(shift_headings=False)], output_format="html")
    # Only the paragraph processor stays: "# x", "- x", "> x", indented text remain inline text.
    for name in _BLOCK_PROCESSORS:
        md.parser.blockprocessors.deregister(name)
    return md


def _clean(fragment: str, tags: frozenset[str]) -> str:
    return nh3.clean(
        fragment,
        tags=set(tags),
        attributes=LINK_ATTRIBUTES if "a" in tags else {},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise ValueError(f"Markdown text is {len(text)} characters; the limit is {limit}.")


def render_markdown(text: str) -> str:
    """Render user Markdown to sanitised HTML (a plain str; the caller marks it safe)."""
    _check_length(text, MAX_MARKDOWN_CHARS)
    if not text.strip():
        return ""
    return _clean(_document_parser().convert(text), BLOCK_TAGS).strip()


def render_markdown_lite(text: str) -> str:
    """Render a chat message: inline emphasis, code and links only, newlines as <br>."""
    _check_length(text, MAX_LITE_CHARS)
    if not text.strip():
        return ""
    md = _inline_parser()
    lines = []
    for line in text.strip().splitlines():
        lines.append(md.reset().convert(line) if line.strip() else "")
    return _clean("<br>".join(lines), LITE_TAGS).strip()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_markdown(text: str) -> str:
    """Text to put into a `render_markdown` document as itself: a name with `backticks` or
    *stars* in it stays a name (minutes write verified role badges as code spans)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _WHITESPACE.sub(" ", text))


def plain_excerpt(text: str, length: int = 140) -> str:
    """Rendered text as plain, unescaped text, whitespace collapsed, cut to `length` with …."""
    return excerpt_of_html(render_markdown(text), length)


def excerpt_of_html(fragment: str, length: int = 140) -> str:
    """`plain_excerpt` of text already rendered by `render_markdown` (so it is rendered once)."""
    if length < 1:
        raise ValueError("length must be at least 1.")
    plain = _WHITESPACE.sub(" ", html.unescape(nh3.clean(fragment, tags=set()))).strip()
    if len(plain) <= length:
        return plain
    return plain[: length - 1].rstrip() + "…"


# Markdown's own backslash escapes (tables add "|"); the rest become entities: "&" and "<"
# (autolinks, entities) and "~" (strikethrough), which a backslash does not escape.
_LITERAL_ESCAPES = frozenset("\\`*_{}[]()>#+-.!|")
_LITERAL_ENTITIES = {"&": "&amp;", "<": "&lt;", "~": "&#126;"}


def markdown_literal(text) -> str:
    """Plain text (a name, a title, a question) made inert inside generated Markdown: it shows as
    typed, on one line, and makes no link, image, emphasis, heading, list or table."""
    out = []
    for char in _WHITESPACE.sub(" ", str(text)).strip():
        if char in _LITERAL_ENTITIES:
            out.append(_LITERAL_ENTITIES[char])
        elif char in _LITERAL_ESCAPES:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)

"""User Markdown to safe HTML: hostile input comes out inert, ordinary input renders."""

import html
from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.inlinepatterns import LINK_RE, LinkInlineProcessor

from deliberation import text as text_module
from deliberation.text import (
    BLOCK_TAGS,
    LINK_REL,
    LITE_TAGS,
    MAX_LITE_CHARS,
    MAX_MARKDOWN_CHARS,
    plain_excerpt,
    render_markdown,
    render_markdown_lite,
)


class _Markup(HTMLParser):
    """Collects every element and attribute of a fragment, as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def markup(fragment: str) -> list[tuple[str, dict[str, str]]]:
    """Every (tag, attributes) pair in the fragment, in document order."""
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    return parser.elements


def tags(fragment: str) -> set[str]:
    """The set of element names in the fragment."""
    return {tag for tag, _ in markup(fragment)}


def hrefs(fragment: str) -> list[str]:
    """Every href value in the fragment, entities decoded."""
    return [attrs["href"] for tag, attrs in markup(fragment) if "href" in attrs]


def assert_inert(fragment: str, allowed: frozenset[str] = BLOCK_TAGS) -> None:
    """Only allowed tags; only href/title/rel on <a>; hrefs only http, https or mailto."""
    assert "<script" not in fragment.lower()
    for tag, attrs in markup(fragment):
        assert tag in allowed, tag
        if tag != "a":
            assert attrs == {}, (tag, attrs)
            continue
        assert set(attrs) <= {"href", "title", "rel"}, attrs
        assert attrs["rel"] == LINK_REL
        if "href" in attrs:
            href = html.unescape(attrs["href"]).strip().lower()
            assert href.startswith(("http://", "https://", "mailto:")), href


# -- hostile input -----------------------------------------------------------------------------


def test_it_escapes_a_script_tag_to_visible_text():
    out = render_markdown("<script>alert(1)</script>")
    assert "<script" not in out.lower()
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_it_drops_a_javascript_link_target():
    out = render_markdown("[x](javascript:alert(1))")
    assert hrefs(out) == []
    assert "javascript" not in out.lower()
    assert out == f'<p><a rel="{LINK_REL}">x</a></p>'


def test_it_keeps_no_img_element_or_onerror_attribute():
    out = render_markdown("<img src=x onerror=alert(1)>")
    assert "<img" not in out.lower()
    assert markup(out) == [("p", {})]  # "onerror" survives only as escaped, visible text
    assert out == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"


def test_it_drops_a_data_url_link_target():
    out = render_markdown("[x](data:text/html;base64,PHNjcmlwdD4=)")
    assert hrefs(out) == []
    assert "data:" not in out


@pytest.mark.parametrize(
    "source",
    [
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<iframe src=https://evil.example/></iframe>",
        "<svg onload=alert(1)>",
        '<div style="position:fixed;inset:0">x</div>',
        "<a href=http://ok onclick=x>y</a>",
    ],
)
def test_it_renders_raw_html_as_escaped_text_with_no_elements(source):
    out = render_markdown(source)
    assert markup(out) == [("p", {})]
    assert out == f"<p>{html.escape(source, quote=False)}</p>"


def test_it_drops_a_vbscript_link_target():
    out = render_markdown("[x](vbscript:msgbox(1))")
    assert hrefs(out) == []
    assert "vbscript" not in out.lower()


def test_it_does_not_turn_a_javascript_autolink_into_a_link():
    out = render_markdown("<javascript:alert(1)>")
    assert tags(out) == {"p"}
    assert out == "<p>&lt;javascript:alert(1)&gt;</p>"


@pytest.mark.parametrize(
    "target",
    ["&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)", "java&#9;script:alert(1)",
     "java\tscript:alert(1)", " JAVASCRIPT:alert(1)"],
)  # fmt: skip
def test_it_drops_an_obfuscated_javascript_link_target(target):
    out = render_markdown(f"[x]({target})")
    assert hrefs(out) == []
    assert "script" not in html.unescape(out).lower()


def test_it_drops_relative_link_targets():
    assert hrefs(render_markdown("[x](/matters/3/) [y](//evil.example/)")) == []


def test_it_ignores_attribute_lists():
    out = render_markdown('*x* {: style="color:red" onclick="x" }')
    assert markup(out) == [("p", {}), ("em", {})]


def test_it_does_not_render_images():
    out = render_markdown("![tracker](https://evil.example/pixel.png)")
    assert "<img" not in out
    assert hrefs(out) == []


@pytest.mark.parametrize(
    "flood",
    ["[" * MAX_MARKDOWN_CHARS, "[a](" * (MAX_MARKDOWN_CHARS // 4),
     "[" * 6000 + "]" * 6000 + "(" * 6000, ("[" + "[]" * 33 + "](b)") * 280],
)  # fmt: skip
def test_it_renders_bracket_floods_as_inert_text(flood):
    # Stock Python-Markdown is quadratic here (the first flood took over 30 s); the replacement
    # link parsers are linear. Timing belongs in bench/, so this checks only the output.
    out = render_markdown(flood)
    assert out.startswith("<p>")
    assert "<script" not in out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["[", "]", "a", "(", "b" * 40]), max_size=60).map("".join))
def test_it_finds_link_text_exactly_as_python_markdown_does(data):
    md = markdown.Markdown()
    stock, linear = LinkInlineProcessor(LINK_RE, md), text_module._Link(LINK_RE, md)
    for index in (i + 1 for i, c in enumerate(data) if c == "["):  # link text starts after "["
        text, end, handled = stock.getText(data, index)
        found = linear.getText(data, index)
        assert found[2] == handled
        if handled:
            assert found == (text, end, True)


# -- ordinary input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["http://example.com/a?b=1&c=2", "https://example.com/", "mailto:wang@example.com"]
)
def test_it_keeps_allowed_links_with_a_nofollow_rel(target):
    out = render_markdown(f"[link]({target})")
    [(tag, attrs)] = markup(out)[1:]
    assert tag == "a"
    assert attrs["href"] == target
    assert "nofollow" in attrs["rel"].split()
    assert attrs["rel"] == "nofollow noopener ugc"


def test_it_keeps_a_link_title():
    out = render_markdown('[x](https://example.com "说明")')
    link = {"href": "https://example.com", "title": "说明", "rel": LINK_REL}
    assert markup(out)[1] == ("a", link)


def test_it_links_bare_http_urls_and_email_addresses():
    out = render_markdown("<https://example.com> <wang@example.com>")
    assert hrefs(out) == ["https://example.com", "mailto:wang@example.com"]


def test_it_renders_bold_and_chinese_text():
    assert render_markdown("**加装电梯**议题") == "<p><strong>加装电梯</strong>议题</p>"


def test_it_renders_emphasis_strikethrough_and_inline_code():
    out = render_markdown("*一* ~~二~~ `a < b`")
    assert out == "<p><em>一</em> <del>二</del> <code>a &lt; b</code></p>"


def test_it_renders_lists():
    out = render_markdown("- 甲\n- 乙\n\n1. one\n2. two")
    assert out == "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>"


def test_it_renders_fenced_and_indented_code_blocks_escaped():
    out = render_markdown("```python\nif a < b:\n    pass\n```\n\n    <b>x</b>")
    assert out == (
        "<pre><code>if a &lt; b:\n    pass\n</code></pre>\n"
        "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>"
    )


def test_it_renders_tables_without_style_attributes():
    out = render_markdown("| 楼栋 | 票数 |\n|:--|--:|\n| 3 | 12 |")
    assert [tag for tag, _ in markup(out)] == [
        "table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"
    ]  # fmt: skip
    assert all(attrs == {} for _, attrs in markup(out))


def test_it_renders_quotes_and_rules():
    assert render_markdown("> 引用\n\n---") == "<blockquote>\n<p>引用</p>\n</blockquote>\n<hr>"


def test_it_shifts_headings_down_two_levels():
    out = render_markdown("# 一\n## 二\n### 三\n#### 四\n###### 六")
    assert out == "<h3>一</h3>\n<h4>二</h4>\n<h5>三</h5>\n<h6>四</h6>\n<h6>六</h6>"


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_it_renders_blank_text_as_empty(text):
    assert render_markdown(text) == ""
    assert render_markdown_lite(text) == ""
    assert plain_excerpt(text) == ""


def test_it_refuses_text_over_the_limit():
    assert render_markdown("a" * MAX_MARKDOWN_CHARS) == "<p>" + "a" * MAX_MARKDOWN_CHARS + "</p>"
    with pytest.raises(ValueError):
        render_markdown("a" * (MAX_MARKDOWN_CHARS + 1))


# -- the lite renderer for chat ----------------------------------------------------------------


def test_it_renders_inline_markup_in_lite():
    out = render_markdown_lite("**b** *i* `c` [l](https://example.com)")
    assert out == (
        f'<strong>b</strong> <em>i</em> <code>c</code> <a href="https://example.com" '
        f'rel="{LINK_REL}">l</a>'
    )


@pytest.mark.parametrize(
    "text", ["# 标题", "- 一项", "1. one", "> quote", "    indented", "---", "| a |\n|---|\n| 1 |"]
)
def test_it_produces_no_block_tags_in_lite(text):
    out = render_markdown_lite(text)
    assert tags(out) <= {"br"}
    assert html.unescape(out.replace("<br>", "\n")) == "\n".join(
        line.strip() for line in text.strip().splitlines()
    )


def test_it_turns_newlines_into_br_in_lite():
    assert render_markdown_lite("一\n二\r\n\n三") == "一<br>二<br><br>三"


def test_it_keeps_lite_links_to_the_same_rules():
    out = render_markdown_lite("[a](javascript:alert(1)) [b](mailto:x@example.com) <script>")
    assert_inert(out, LITE_TAGS)
    assert hrefs(out) == ["mailto:x@example.com"]
    assert "&lt;script&gt;" in out


def test_it_refuses_lite_text_over_the_limit():
    assert render_markdown_lite("a" * MAX_LITE_CHARS) == "a" * MAX_LITE_CHARS
    with pytest.raises(ValueError):
        render_markdown_lite("a" * (MAX_LITE_CHARS + 1))


# -- plain excerpts ----------------------------------------------------------------------------


def test_it_strips_tags_and_collapses_whitespace_in_excerpts():
    text = "# 议题\n\n**加装电梯** & [费用](https://example.com)\n\n- 甲\n- 乙"
    assert plain_excerpt(text) == "议题 加装电梯 & 费用 甲 乙"


def test_it_keeps_typed_angle_brackets_as_plain_text_in_excerpts():
    assert plain_excerpt("<b>x</b> a < b") == "<b>x</b> a < b"


def test_it_truncates_excerpts_with_an_ellipsis():
    assert plain_excerpt("一二三四五六", length=6) == "一二三四五六"
    assert plain_excerpt("一二三四五六七", length=6) == "一二三四五…"
    assert plain_excerpt("ab cd ef", length=5) == "ab c…"
    assert plain_excerpt("ab  cdef", length=4) == "ab…"
    assert len(plain_excerpt("x" * 500)) == 140


def test_it_refuses_a_useless_excerpt_length():
    with pytest.raises(ValueError):
        plain_excerpt("text", length=0)


# -- properties --------------------------------------------------------------------------------

HOSTILE = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=x>", "javascript:",
    "JaVaScRiPt:", "&#106;", "&#x6A;", "data:text/html,", "vbscript:", ' style="x"', "onerror=",
    "[", "]", "(", ")", "](", "<", ">", '"', "'", "`", "```", "**", "*", "_", "~~", "#", "- ",
    "1. ", "> ", "|", "---", "\n", "\n\n", "    ", "&", "<a href=", "<https://ok.example>",
    "![", "{: ", "<!--", "-->", "<![CDATA[", "\\", "http://", "mailto:",
]  # fmt: skip

hostile_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=12), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_it_never_emits_live_markup_for_any_text(text):
    out = render_markdown(text)
    assert_inert(out)
    for _, attrs in markup(out):
        for name, value in attrs.items():
            assert not name.startswith("on")
            assert name != "style"
            assert "javascript:" not in html.unescape(value).lower()
    again = render_markdown(out)
    assert_inert(again)


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_it_never_emits_block_or_live_markup_in_lite(text):
    out = render_markdown_lite(text)
    assert_inert(out, LITE_TAGS)


@settings(max_examples=200, deadline=None)
@given(hostile_text, st.integers(min_value=1, max_value=200))
def test_it_keeps_excerpts_short_and_collapsed(text, length):
    excerpt = plain_excerpt(text, length)
    assert len(excerpt) <= length
    assert "  " not in excerpt
    assert excerpt == excerpt.strip()

"""Pages carry no inline style or script: styles live in static/css/gongzhi.css, scripts in
static/js/ (loaded with src=). A JSON data island (`json_script`, type="application/json") is
data, not code, and is allowed. This keeps a strict Content-Security-Policy possible."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted({*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")})
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
RULES = {
    "an inline <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "a style= attribute": re.compile(r"""[\s"']style\s*=""", re.IGNORECASE),
    "an inline event handler (on…=)": re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def problems(text: str) -> list[str]:
    found = [what for what, rule in RULES.items() if rule.search(text)]
    for attributes, body in SCRIPT.findall(text):
        data = re.search(r"""type\s*=\s*["']application/json["']""", attributes, re.IGNORECASE)
        loaded = re.search(r"\ssrc\s*=", " " + attributes, re.IGNORECASE) and not body.strip()
        if not (data or loaded):
            found.append(f"a <script> with code: <script{attributes}>{body.strip()[:60]}")
    return found


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20
    assert ROOT / "templates" / "deliberation" / "meeting_projector.html" in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_template_has_no_inline_style_or_script(path):
    assert problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "html",
    [
        "<head><style>.x { color: red }</style></head>",
        '<p style="color: red">',
        "<div class='a' STYLE='x'>",
        "<script>alert(1)</script>",
        '<script type="module">import "./x.js";</script>',
        '<script src="/static/x.js">alert(1)</script>',
        '<button onclick="window.print()">',
        '<a href="javascript:void(0)">',
    ],
)
def test_it_catches_each_kind(html):
    assert problems(html) != []


@pytest.mark.parametrize(
    "html",
    [
        '<script type="module" src="{% static \'js/meeting-room.js\' %}"></script>',
        '<script id="room-strings" type="application/json">{"a": "b"}</script>',
        '{{ room_strings|json_script:"room-strings" }}',
        '<p data-style="x" class="stylish">on=1 online</p>',
    ],
)
def test_it_allows_loaded_scripts_and_data(html):
    assert problems(html) == []

"""Minutes cannot carry injected links: whatever people typed (display names, the meeting's
title and place, agenda items, poll questions and choices) shows in the generated minutes as
the literal text, and makes no link and no image. Notices show such text escaped too.

Written as the attacker; each minutes test also runs against a weakened build (the escaping
replaced by `str`) and must then find the injected link, so it can fail.
"""

import html
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from communities.models import Organization
from deliberation import meetings, services
from deliberation.meetings import minutes as minutes_module
from deliberation.models import Minutes
from deliberation.text import excerpt_of_html, markdown_literal, render_markdown
from tests.factories import make_user

NAME = "[点我](http://evil.example/name)"
AUTOLINK_NAME = "<http://evil.example/auto>"
IMAGE_NAME = "![x](http://evil.example/x.png)"
HTML_NAME = '<a href="http://evil.example/html">x</a>'
ITEM = "[议程](http://evil.example/item)"
QUESTION = "是否同意？[投票](http://evil.example/poll)"
CHOICE = "[甲方案](http://evil.example/choice)"
PLACE = "<http://evil.example/place>"
TITLE = "议事会 ![会标](http://evil.example/logo.png)"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "img") or "href" in attrs or "src" in attrs:
            self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def links(fragment: str) -> list:
    parser = _Links()
    parser.feed(fragment)
    parser.close()
    return parser.found


@pytest.fixture(params=["escaped", "weakened"])
def build(request, monkeypatch):
    """The build under test: as shipped, or with the minutes' escaping removed."""
    if request.param == "weakened":
        monkeypatch.setattr(minutes_module, "markdown_literal", str)
    return request.param


@pytest.fixture
def attacked(world):
    """A public council meeting where every typed field carries link or image syntax."""
    chair = world.cast["party_secretary"]
    names = [NAME, AUTOLINK_NAME, IMAGE_NAME, HTML_NAME]
    people = [make_user(f"attacker{n}", display_name=name) for n, name in enumerate(names)]
    meeting = meetings.schedule_meeting(
        chair, world.community, title=TITLE, kind="council", scheduled_at=timezone.now(),
        place=PLACE, agenda=[(ITEM, None)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    for person in people:
        meetings.join(person, meeting)
    speaker = world.cast["council_member"]
    speaker.display_name = NAME
    speaker.save(update_fields=["display_name"])
    meetings.raise_hand(speaker, meeting, "pro")
    meetings.grant_floor(chair, meeting, speaker.pk)
    meetings.end_floor(chair, meeting)
    poll = meetings.open_poll(
        chair, meeting, question=QUESTION, kind="single", choices=[CHOICE, "乙方案"]
    )
    meetings.close_poll(chair, meeting, poll.pk)
    return meeting


def _generated(world, meeting) -> Minutes:
    # Generated afresh, so that the build under test writes the text.
    Minutes.objects.filter(meeting=meeting).delete()
    meetings.generate_minutes(world.cast["rc_director"], meeting)
    return Minutes.objects.get(meeting=meeting)


Kind = Organization.Kind
ALL_TYPED = [NAME, AUTOLINK_NAME, IMAGE_NAME, HTML_NAME, ITEM, QUESTION, CHOICE, PLACE, TITLE]


def test_typed_text_makes_no_link_or_image_in_the_minutes(world, attacked, build):
    minutes = _generated(world, attacked)
    found = links(minutes.text_html)
    if build == "weakened":
        assert any("evil.example" in str(attrs) for _tag, attrs in found), found
        return
    assert found == []
    shown = html.unescape(minutes.text_html)
    for typed in ALL_TYPED:
        assert typed in shown, typed  # the literal text, as typed


def test_the_published_minutes_page_and_download_carry_no_injected_link(
    client, world, attacked, build
):
    _generated(world, attacked)
    meetings.publish_minutes(world.cast["rc_director"], attacked)
    page = client.get(reverse("deliberation:meeting_minutes", args=[attacked.pk])).content
    article = page.decode().split('<article class="prose minutes">', 1)[1].split("</article>")[0]
    evil = [attrs for _tag, attrs in links(article) if "evil.example" in str(attrs)]
    if build == "weakened":
        assert evil
        return
    assert evil == []
    assert NAME in html.unescape(article)
    download = client.get(reverse("deliberation:meeting_minutes_markdown", args=[attacked.pk]))
    assert download.content.decode().startswith("# 议事会 \\!\\[会标\\]")  # escaped, as Markdown


@pytest.mark.parametrize(
    "title", [NAME, HTML_NAME, IMAGE_NAME, '"><img src=x onerror=alert(1)>']
)  # fmt: skip
def test_notices_show_a_typed_title_and_question_as_text(client, world, title):
    secretary = world.cast["party_secretary"]
    matter = services.propose_matter(
        secretary, world.community, title=title, body="说明", category="facilities",
        procedure="four_deliberations", stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]],
    )  # fmt: skip
    services.advance(secretary, matter)
    services.advance(secretary, matter)
    services.create_poll(secretary, matter, question=title, kind="yes_no_abstain")
    client.force_login(world.cast["so_member"])
    page = client.get(reverse("deliberation:notifications")).content.decode()
    notices = page.split('<ul class="notices">', 1)[1].split("</ul>")[0]
    assert html.unescape(notices).count(title) == 2  # proposed; voting opened
    assert [a for _t, a in links(notices) if "evil" in str(a) or "onerror" in a] == []
    assert "<img" not in notices


# Markdown's own characters often, and any other printable character.
TYPED = st.text(
    alphabet=st.one_of(
        st.sampled_from("[]()!<>&~*_`#+-.|\\:/ \n\tah1;"),
        st.characters(exclude_categories=("Cc", "Cs")),
    ),
    max_size=120,
)


@settings(max_examples=500, deadline=None)
@given(TYPED)
def test_any_typed_text_reads_as_typed_and_makes_no_markup(typed):
    out = render_markdown(markdown_literal(typed))
    assert {tag for tag, _attrs in _all_tags(out)} <= {"p"}
    assert excerpt_of_html(out, 1000) == " ".join(typed.split())


@pytest.mark.parametrize(
    "typed",
    [NAME, AUTOLINK_NAME, IMAGE_NAME, HTML_NAME, "<mailto:a@evil.example>", "[x]: http://evil",
     "**粗** _斜_ `码` ~~删~~", "# 标题", "1. 列表", "> 引用", "a | b", "x\\", "&#106;s", "&amp;"],
)  # fmt: skip
def test_markup_typed_in_a_name_reads_as_typed(typed):
    out = render_markdown(markdown_literal(typed))
    assert _all_tags(out) == [("p", {})]
    assert html.unescape(out) == f"<p>{typed}</p>"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _all_tags(fragment: str) -> list:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser.found

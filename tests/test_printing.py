"""Printable records: the owners' notice, the resolution notice and the minutes, as an A4 HTML
page and as a PDF (WeasyPrint). The PDF's text is read back with pypdf and each field is looked
for: the community's name, the reference numbers, the dates, the objection deadline, and the QR
code back to the record (drawn as vectors, behind a link to the record's address).

Written as the attacker too: an outsider cannot print a members-only matter's notice or a
draft of the minutes, and making a PDF fetches nothing from the network (checked against a
server that counts requests, and shown to fail with WeasyPrint's own fetcher).
"""

import http.server
import io
import re
import threading
from datetime import timedelta

import pypdf
import pytest
import segno
from django.urls import reverse
from django.utils import timezone, translation

from deliberation import meetings, printing, services
from deliberation.models import Matter, Minutes, Poll
from deliberation.views import printing as print_views
from tests import walks

HOST = "http://testserver"
views_access = print_views.access  # what the print views ask (the weakened build replaces it)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _pdf(client, url):
    response = client.get(url, {"format": "pdf"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response, pypdf.PdfReader(io.BytesIO(response.content))


def _text(reader) -> str:
    """The PDF's text with line breaks and spaces taken out (a long line may wrap anywhere)."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _links(reader) -> list[str]:
    uris = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if action.get("/URI"):
                uris.append(str(action["/URI"]))
    return uris


def _line_segments(reader) -> int:
    """How many straight path segments the pages draw (the QR code is hundreds of them)."""
    count = 0
    for page in reader.pages:
        content = pypdf.generic.ContentStream(page.get_contents(), reader)
        count += sum(1 for _operands, operator in content.operations if operator in (b"l", b"h"))
    return count


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# The owners' notice


@pytest.fixture
def notice(world):
    """An owners' joint decision whose notice is published, with one item on its agenda."""
    matter = walks.propose(world, walks.OWNERS, title="续聘物业服务企业")
    return walks.walk_to(world, matter, "notice")


def _notice_url(matter):
    return reverse("deliberation:print_notice", args=[matter.community.slug, matter.reference])


def test_it_prints_the_owners_notice_with_every_field(world, notice, client):
    client.force_login(world.cast["owner"])
    response, reader = _pdf(client, _notice_url(notice))
    assert f"{notice.reference}-notice.pdf" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    text = _text(reader)
    published = notice.transitions.get(to_stage="notice").created_at
    for field in (
        "莲花社区",
        "业主大会公告",
        notice.reference,
        "续聘物业服务企业",
        "续聘物业？",  # the agenda item frozen into the notice
        _squash(_when(published)),
        _squash(_when(notice.deadline)),  # the end of the 15-day notice period
        "第278条第4项",
    ):
        assert field in text, field
    matter_url = HOST + notice.get_absolute_url()
    assert matter_url in _links(reader)
    assert _line_segments(reader) > 100


def test_it_lists_the_agenda_of_the_latest_notice_only(world, notice, client):
    """Before the notice freezes it, only the notice's own items are on it (the polls drafted
    at the agenda stage); a poll of another stage never is."""
    document = printing.owners_notice(notice)
    assert [item["question"] for item in document["agenda"]] == ["续聘物业？"]
    assert notice.polls.filter(status=Poll.Status.DRAFT).count() == 1


def test_a_fresh_notice_after_a_void_vote_lists_only_its_own_items(world):
    """After a vote void for too few owners, the notice printed is the fresh one: its date, its
    items (drafted anew, with their new voting time), and a word that it is a fresh notice."""
    chair = world.cast["oc_chair"]
    matter = walks.propose(world, walks.OWNERS)
    services.create_poll(
        chair, matter, question="续聘物业？", kind="yes_no_abstain", law_item=4,
        closes_at=timezone.now() + timedelta(days=20),
    )  # fmt: skip
    matter = services.advance(chair, walks.fresh(matter))
    first = printing.owners_notice(matter)
    matter = services.advance(chair, walks.elapse(matter))
    poll = matter.polls.get()
    services.open_poll(chair, poll)
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    services.close_poll_when_due(poll, Poll.objects.get(pk=poll.pk).closes_at)
    matter = services.rerun_vote(chair, walks.fresh(matter), note="参与不足，重新公告。")
    again = matter.polls.get(status=Poll.Status.DRAFT)
    document = printing.owners_notice(matter)
    assert document["fresh_notice"] and not first["fresh_notice"]
    assert [item["closes_at"] for item in document["agenda"]] == [_when(again.closes_at)]
    rerun_at = matter.transitions.get(action="rerun").created_at
    published = [f.value for f in document["facts"] if f.value == _when(rerun_at)]
    assert published and document["deadline"] == _when(matter.deadline)


def test_it_has_no_owners_notice_before_it_is_published(world, client):
    matter = walks.propose(world, walks.OWNERS)
    client.force_login(world.cast["oc_chair"])
    assert client.get(_notice_url(matter)).status_code == 404
    assert client.get(_notice_url(matter), {"format": "pdf"}).status_code == 404


def test_it_has_no_owners_notice_for_another_procedure(world, client):
    matter = walks.propose(world, walks.FOUR)
    client.force_login(world.cast["party_secretary"])
    assert client.get(_notice_url(matter)).status_code == 404


def test_its_html_view_carries_the_qr_code_of_the_matter_page(world, notice, client):
    response = client.get(_notice_url(notice))
    assert response.status_code == 200
    page = response.content.decode()
    # The very code segno makes of the matter's absolute address.
    expected = printing.qr_svg(HOST + notice.get_absolute_url())
    assert expected in page
    assert segno.make(HOST + notice.get_absolute_url(), error="m").symbol_size(scale=1) > (21, 21)
    assert f'href="{_notice_url(notice)}?format=pdf"' in page


# ---------------------------------------------------------------------------------------------
# The resolution notice


@pytest.fixture
def resolved(world):
    """A 四议两公开 matter in its public notice (决议公开), its resolution published."""
    matter = walks.propose(world, walks.FOUR, title="增设电动车充电桩")
    matter = walks.walk_to(world, matter, "notice")
    text = "决议：在三号楼旁增设充电桩。"
    services.publish_resolution(world.cast["rc_director"], matter, text=text)
    return walks.fresh(matter)


def _resolution_url(matter):
    return reverse("deliberation:print_resolution", args=[matter.community.slug, matter.reference])


def test_it_prints_the_resolution_notice_with_every_field(world, resolved, client):
    resolution = resolved.resolution
    response, reader = _pdf(client, _resolution_url(resolved))
    assert f"{resolution.reference}.pdf" in response["Content-Disposition"]
    text = _text(reader)
    for field in (
        "莲花社区",
        "决议公开",
        resolution.reference,
        resolved.reference,
        "增设电动车充电桩",
        "在三号楼旁增设充电桩",
        _squash(_when(resolution.published_at)),
        "异议截止",
        _squash(_when(resolved.deadline)),  # the objection deadline: the notice period's end
    ):
        assert field in text, field
    assert HOST + resolved.get_absolute_url() in _links(reader)
    assert _line_segments(reader) > 100


def test_it_keeps_the_objection_deadline_after_the_notice_ends(world, resolved):
    deadline = resolved.deadline
    after = services.advance(world.cast["rc_director"], walks.elapse(resolved))
    assert after.stage == "implementation"
    with translation.override("en"):
        document = printing.resolution_notice(after.resolution)
    facts = {f.label: f.value for f in document["facts"]}
    assert facts["Objections until"] == _when(deadline)


def test_it_has_no_resolution_notice_before_the_resolution(world, client):
    matter = walks.propose(world, walks.FOUR)
    assert client.get(_resolution_url(matter)).status_code == 404


# ---------------------------------------------------------------------------------------------
# The minutes


def _hold(world, *, public: bool):
    """A council meeting on a matter, held and ended: its minutes are a draft."""
    chair = world.cast["party_secretary"]
    matter = walks.propose(world, walks.FOUR, title="小区停车管理")
    meeting = meetings.schedule_meeting(
        chair, world.community, title="居民议事会第五次会议", kind="council",
        scheduled_at=timezone.now(), place="党群服务中心", public=public,
        agenda=[("小区停车管理", matter)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    for _ in range(3):  # three tabs
        meetings.join(world.cast["resident"], meeting)
    meetings.end_meeting(chair, meeting)
    meeting.refresh_from_db()
    return meeting, matter


@pytest.fixture
def held(world):
    """A members-only meeting, held: its minutes are a draft."""
    return _hold(world, public=False)


@pytest.fixture
def held_in_public(world):
    """A public meeting, held: anyone may see it, but its minutes are still a draft."""
    return _hold(world, public=True)


def _minutes_url(meeting):
    return reverse("deliberation:print_minutes", args=[meeting.pk])


def test_it_prints_the_published_minutes_with_every_field(world, held, client):
    meeting, matter = held
    minutes = meetings.publish_minutes(world.cast["rc_director"], meeting)
    client.force_login(world.cast["resident"])
    response, reader = _pdf(client, _minutes_url(meeting))
    assert f"meeting-{meeting.pk}-minutes.pdf" in response["Content-Disposition"]
    text = _text(reader)
    for field in (
        "莲花社区",
        "会议纪要",
        "居民议事会第五次会议",
        matter.reference,
        _squash(_when(meeting.started_at)),
        _squash(_when(minutes.published_at)),
        "党群服务中心",
    ):
        assert field in text, field
    assert text.count("resident(") == 1  # the attendee, once, though with three connections
    minutes_url = HOST + reverse("deliberation:meeting_minutes", args=[meeting.pk])
    assert minutes_url in _links(reader)


def test_it_prints_the_draft_for_the_committee_marked_as_draft(world, held, client):
    meeting, _matter = held
    client.force_login(world.cast["rc_director"])
    _response, reader = _pdf(client, _minutes_url(meeting))
    assert "草稿" in _text(reader)


@pytest.fixture(params=["checked", "weakened"])
def access_build(request, monkeypatch):
    """The views as shipped, or with their access helpers replaced by plain fetches (which the
    attacker tests must then catch: they assert a weakened build lets the outsider in)."""
    if request.param == "weakened":
        monkeypatch.setattr(
            views_access, "get_matter_for", lambda user, community, ref: Matter.objects.get(
                community=community, reference=ref)
        )  # fmt: skip
        monkeypatch.setattr(views_access, "get_minutes_for", lambda user, meeting: meeting.minutes)
    return request.param


def _refused(access_build, response) -> bool:
    """Refused as shipped; let in by the weakened build (else the test could not fail)."""
    if access_build == "weakened":
        return response.status_code == 200
    return response.status_code == 404


@pytest.mark.parametrize("who", ["resident", "outsider", None])
def test_an_outsider_cannot_print_draft_minutes(world, held_in_public, client, who, access_build):
    meeting, _matter = held_in_public
    assert Minutes.objects.get(meeting=meeting).status == Minutes.Status.DRAFT
    if who:
        client.force_login(world.cast[who])
    for query in ({}, {"format": "pdf"}):
        assert _refused(access_build, client.get(_minutes_url(meeting), query))


@pytest.mark.parametrize("who", ["outsider", None])
def test_an_outsider_cannot_print_a_members_only_meetings_minutes(world, held, client, who):
    meeting, _matter = held
    meetings.publish_minutes(world.cast["rc_director"], meeting)
    if who:
        client.force_login(world.cast[who])
    for query in ({}, {"format": "pdf"}):
        assert client.get(_minutes_url(meeting), query).status_code == 404


# ---------------------------------------------------------------------------------------------
# Members-only matters


@pytest.fixture
def members_only(world):
    matter = walks.propose(world, walks.OWNERS, title="地下车库改建", visibility="members")
    return walks.walk_to(world, matter, "notice")


@pytest.mark.parametrize("who", ["outsider", None])
def test_an_outsider_cannot_print_a_members_only_notice(
    world, members_only, client, who, access_build
):
    if who:
        client.force_login(world.cast[who])
    for query in ({}, {"format": "pdf"}):
        response = client.get(_notice_url(members_only), query)
        assert _refused(access_build, response)
        if access_build == "checked":
            assert "地下车库改建".encode() not in response.content


def test_a_member_can_print_a_members_only_notice(world, members_only, client):
    client.force_login(world.cast["owner"])
    _response, reader = _pdf(client, _notice_url(members_only))
    assert "地下车库改建" in _text(reader)


@pytest.mark.parametrize("who", ["outsider", None])
def test_an_outsider_cannot_print_a_members_only_resolution(world, client, who):
    matter = walks.propose(world, walks.FOUR, title="党员活动室调整", visibility="members")
    matter = walks.walk_to(world, matter, "notice")
    services.publish_resolution(world.cast["rc_director"], matter, text="决议：调整。")
    if who:
        client.force_login(world.cast[who])
    for query in ({}, {"format": "pdf"}):
        assert client.get(_resolution_url(matter), query).status_code == 404


# ---------------------------------------------------------------------------------------------
# No network


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    _Counting.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["ours", "weakened"])
def fetcher_build(request, monkeypatch):
    """The PDF as shipped, or with WeasyPrint's own fetcher put back (which must then be caught
    reaching the server)."""
    if request.param == "weakened":
        from weasyprint.urls import URLFetcher

        monkeypatch.setattr(printing, "StaticOnlyFetcher", lambda origin: URLFetcher())
    return request.param


def test_making_a_pdf_fetches_nothing_from_the_network(counting_server, fetcher_build):
    html = f"""<!doctype html><html lang="zh-Hans"><head>
      <link rel="stylesheet" href="{counting_server}/static/css/gongzhi.css">
      <link rel="stylesheet" href="/etc/passwd"></head><body>
      <img src="{counting_server}/tracker.png" alt="x">
      <img src="file:///etc/hostname" alt="y"><p>公告</p></body></html>"""
    pdf = printing.write_pdf(html, HOST + "/")
    assert pdf.startswith(b"%PDF")
    if fetcher_build == "ours":
        assert _Counting.hits == []
    else:
        assert _Counting.hits


def test_the_fetcher_serves_our_stylesheet_and_refuses_the_rest(counting_server):
    fetcher = printing.StaticOnlyFetcher(HOST + "/")
    css = fetcher.fetch(HOST + "/static/css/gongzhi.css")
    assert b".print-doc" in css.read()
    assert css.content_type == "text/css"
    for url in (
        f"{counting_server}/static/css/gongzhi.css",  # another origin
        "http://evil.example/static/css/gongzhi.css",
        HOST + "/static/../config/settings.py",
        HOST + "/static/%2e%2e/config/settings.py",
        HOST + "/static//etc/passwd",
        HOST + "/media/x.png",
        "file:///etc/passwd",
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError, match="only our own static files"):
            fetcher.fetch(url)
    assert _Counting.hits == []


def test_the_pdf_sets_chinese_in_a_cjk_font(world, notice, client):
    _response, reader = _pdf(client, _notice_url(notice))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("CJK" in name for name in fonts), fonts

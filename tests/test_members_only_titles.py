"""No leaks of members-only matters: a members-only matter's title reaches only those who may
see the matter (`Matter.objects.visible_to`), whatever the channel that shows it by relation:
a matter page's merge links, a public meeting's agenda (the room and projector pages, the live
snapshot and events, the minutes), notifications, the boards, the ledger, its search and CSV.

Written as the attacker: an anonymous visitor and a signed-in non-member read each channel and
must not find the title. An insider finds it (so each test can tell). The agenda's channels
also run against a weakened build (`access.hidden_agenda_items` answering "nothing hidden")
and must then find the title.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities import services as register
from communities.models import Organization, Position
from config.asgi import application
from deliberation import access, meetings, services
from deliberation.meetings import live
from deliberation.models import Matter

Kind = Organization.Kind
SECRET = "三号楼违建调查"
SECRET_TOO = "五号楼漏水赔偿"
PLACEHOLDER = "（仅成员可见的议题）"
ATTACKERS = ["anonymous", "outsider"]


def propose(world, title, *, visibility, by="party_secretary", **extra):
    return services.propose_matter(
        world.cast[by], world.community, title=title, body="说明", category="property",
        procedure="council_motion", visibility=visibility, **extra,
    )  # fmt: skip


def reader(client, world, who) -> Client:
    if who != "anonymous":
        client.force_login(world.cast[who])
    return client


def text_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


@pytest.fixture(params=["guarded", "weakened"])
def build(request, monkeypatch):
    """The build under test: as shipped, or with the agenda's guard removed."""
    if request.param == "weakened":
        monkeypatch.setattr(access, "hidden_agenda_items", lambda user, meeting: set())
    return request.param


def expect_hidden(build, text: str, who: str = "attacker") -> None:
    if build == "weakened" and who != "resident":
        assert SECRET in text  # the test can see a leak when there is one
    elif who == "resident":
        assert SECRET in text
    else:
        assert SECRET not in text


# -- a matter page's merge links ----------------------------------------------------------------


@pytest.mark.parametrize("who", [*ATTACKERS, "resident"])
def test_a_public_matter_lists_no_members_only_duplicate(client, world, who):
    public = propose(world, "加装电梯", visibility="public")
    duplicate = propose(world, SECRET, visibility="members")
    services.merge(world.cast["rc_director"], duplicate, public, reason="重复")
    page = text_of(reader(client, world, who).get(public.get_absolute_url()))
    assert (SECRET in page) is (who == "resident")


@pytest.mark.parametrize("who", [*ATTACKERS, "resident"])
def test_a_public_matter_merged_into_a_members_only_one_names_no_title(client, world, who):
    target = propose(world, SECRET, visibility="members")
    public = propose(world, "加装电梯", visibility="public")
    services.merge(world.cast["rc_director"], public, target, reason="并入")
    page = text_of(reader(client, world, who).get(public.get_absolute_url()))
    assert (SECRET in page) is (who == "resident")
    assert (target.get_absolute_url() in page) is (who == "resident")
    if who != "resident":
        assert "已并入一个仅社区成员可见的议题。" in page


# -- a public meeting's agenda --------------------------------------------------------------------


@pytest.fixture
def public_meeting(world):
    """A public council meeting, live, whose current item is a members-only matter's (its title
    the matter's own, as the schedule form makes it)."""
    secret = propose(world, SECRET, visibility="members")
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="居民议事会公开会议", kind="council", public=True,
        scheduled_at=timezone.now(), agenda=[("", secret), ("公开事项", None)],
    )  # fmt: skip
    return meetings.start_meeting(chair, meeting)


@pytest.mark.parametrize("who", [*ATTACKERS, "resident"])
@pytest.mark.parametrize("page", ["meeting", "meeting_projector"])
def test_a_public_meetings_pages_show_a_placeholder(
    client, world, public_meeting, build, who, page
):
    html = text_of(
        reader(client, world, who).get(reverse(f"deliberation:{page}", args=[public_meeting.pk]))
    )
    expect_hidden(build, html, who)
    if who != "resident" and build == "guarded":
        assert PLACEHOLDER in html
        assert "公开事项" in html or page == "meeting_projector"


@pytest.mark.parametrize("who", ["outsider", "unverified", "resident"])
def test_a_public_meetings_snapshot_shows_a_placeholder(world, public_meeting, build, who):
    snapshot = live.snapshot(public_meeting, world.cast[who])
    expect_hidden(build, json.dumps(snapshot, ensure_ascii=False), who)
    if who != "resident" and build == "guarded":
        first = snapshot["agenda"][0]
        assert (first["matter"], first["matter_url"]) == (None, None)


def test_a_live_added_item_goes_out_as_a_placeholder(world, public_meeting, build):
    secret_too = propose(world, SECRET_TOO, visibility="members")
    meetings.add_agenda_item(
        world.cast["party_secretary"], public_meeting, title="", matter=secret_too
    )
    events = live.events_since(public_meeting, 0, world.cast["outsider"])
    sent = json.dumps([e.data for e in events], ensure_ascii=False)
    assert (SECRET_TOO in sent) is (build == "weakened")
    # Those who may see it find the title in their next snapshot.
    insider = json.dumps(live.snapshot(public_meeting, world.cast["resident"]), ensure_ascii=False)
    assert SECRET_TOO in insider


@pytest.mark.parametrize("who", ATTACKERS)
def test_a_public_meetings_minutes_show_a_placeholder(client, world, public_meeting, build, who):
    meetings.end_meeting(world.cast["party_secretary"], public_meeting)
    meetings.publish_minutes(world.cast["rc_director"], public_meeting)
    client = reader(client, world, who)
    page = text_of(client.get(reverse("deliberation:meeting_minutes", args=[public_meeting.pk])))
    download = text_of(
        client.get(reverse("deliberation:meeting_minutes_markdown", args=[public_meeting.pk]))
    )
    expect_hidden(build, page)
    expect_hidden(build, download)
    if build == "guarded":
        assert PLACEHOLDER in page and "公开事项" in page


def test_a_members_only_meetings_minutes_keep_the_title(world):
    secret = propose(world, SECRET, visibility="members")
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="内部会议", kind="council", public=False,
        scheduled_at=timezone.now(), agenda=[("", secret)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    meetings.end_meeting(chair, meeting)
    assert SECRET in meeting.minutes.text


@pytest.mark.django_db(transaction=True)
async def test_the_live_room_socket_sends_a_non_member_no_title(world):
    meeting = await database_sync_to_async(_public_meeting)(world)
    for who, sees in (("outsider", False), ("resident", True)):
        comm = await _socket(world.cast[who], meeting)
        try:
            snapshot = json.loads(await comm.receive_from(timeout=3))
            assert snapshot["type"] == "snapshot"
            assert (SECRET in json.dumps(snapshot, ensure_ascii=False)) is sees
        finally:
            await comm.disconnect()
    comm = await _socket(world.cast["outsider"], meeting)
    try:
        await comm.receive_from(timeout=3)  # the snapshot
        secret_too = await database_sync_to_async(propose)(world, SECRET_TOO, visibility="members")
        await database_sync_to_async(meetings.add_agenda_item)(
            world.cast["party_secretary"], meeting, title="", matter=secret_too
        )
        while True:
            frame = json.loads(await comm.receive_from(timeout=3))
            if frame.get("kind") == "agenda.added" or frame.get("type") == "events":
                break
        text = json.dumps(frame, ensure_ascii=False)
        assert SECRET_TOO not in text and "agenda.added" in text
    finally:
        await comm.disconnect()


def _public_meeting(world):
    secret = propose(world, SECRET, visibility="members")
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="居民议事会公开会议", kind="council", public=True,
        scheduled_at=timezone.now(), agenda=[("", secret)],
    )  # fmt: skip
    return meetings.start_meeting(chair, meeting)


async def _socket(user, meeting) -> WebsocketCommunicator:
    def cookie():
        client = Client()
        client.force_login(user)
        return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    comm = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[
            (b"origin", b"http://127.0.0.1:8000"),
            (b"host", b"127.0.0.1:8000"),  # the origin must match the site: scheme, host, port
            await database_sync_to_async(cookie)(),
        ],
    )
    connected, code = await comm.connect()
    assert connected, code
    return comm


# -- notifications ------------------------------------------------------------------------------


def test_a_notice_forgets_the_title_when_its_reader_may_no_longer_see_the_matter(client, world):
    member = world.cast["so_member"]
    secret = propose(
        world, SECRET, visibility="members", stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]]
    )
    client.force_login(member)
    url = reverse("deliberation:notifications")
    assert SECRET in text_of(client.get(url))  # while they were an official of the community
    position = Position.objects.current().get(user=member)
    register.end_position(world.admin, position)
    page = text_of(client.get(url))
    assert SECRET not in page
    assert secret.reference in page and secret.get_absolute_url() not in page


# -- every other channel that names a matter by relation ------------------------------------------


@pytest.mark.parametrize("who", [*ATTACKERS, "resident"])
def test_no_board_list_search_or_export_names_a_members_only_matter(client, world, who):
    secret = propose(world, SECRET, visibility="members")
    services.escalate(world.cast["rc_director"], secret, reason="久拖未决")
    slug = world.community.slug
    client = reader(client, world, who)
    for url in [
        reverse("deliberation:ledger", args=[slug]),
        reverse("deliberation:ledger", args=[slug]) + "?q=违建",  # a part of the title
        reverse("deliberation:ledger_csv", args=[slug]),
        reverse("deliberation:resolutions", args=[slug]),
        reverse("deliberation:escalations", args=[slug]),
        reverse("deliberation:meetings", args=[slug]),
        reverse("community", args=[slug]),
    ]:
        text = text_of(client.get(url))
        if who == "resident" and "meetings" not in url and "resolutions" not in url:
            assert SECRET in text, url
        elif who != "resident":
            assert SECRET not in text, url
    assert Matter.objects.get(pk=secret.pk).visibility == "members"

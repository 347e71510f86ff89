"""Meeting pages: the list and schedule form, the room and projector shells, and the minutes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation import meetings
from deliberation.models import Meeting, Minutes


@pytest.fixture
def meeting(world):
    m = meetings.schedule_meeting(
        world.cast["party_secretary"], world.community, title="居民议事会第三次会议",
        kind="council", scheduled_at=timezone.now(), agenda=[("加装电梯协调小组", None)],
    )  # fmt: skip
    return meetings.start_meeting(world.cast["party_secretary"], m)


def list_url(world):
    return reverse("deliberation:meetings", args=[world.community.slug])


def test_it_lists_public_meetings_to_anyone(client, world, meeting):
    page = client.get(list_url(world)).content.decode()
    assert "居民议事会第三次会议" in page
    assert 'name="agenda"' not in page  # no schedule form for visitors


def test_it_hides_members_only_meetings_from_the_public(client, world, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(public=False)
    assert "居民议事会第三次会议" not in client.get(list_url(world)).content.decode()
    assert client.get(meeting.get_absolute_url()).status_code == 404
    client.force_login(world.cast["resident"])
    assert client.get(meeting.get_absolute_url()).status_code == 200


def test_it_schedules_a_meeting_with_linked_matters_through_the_form(client, world):
    from deliberation import services

    matter = services.propose_matter(
        world.cast["council_member"], world.community, title="增设快递柜", body="说明",
        category="facilities", procedure="council_motion",
    )  # fmt: skip
    client.force_login(world.cast["party_secretary"])
    response = client.post(list_url(world), {
        "title": "议事会临时会议", "kind": "council",
        "scheduled_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": "社区活动室", "public": "on",
        "agenda": f"{matter.reference}\n其他事项", "speech_seconds": 90, "max_speeches": 2,
        "alternate": "on", "pass_rule": "yes_over_no",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-1500:]
    meeting = Meeting.objects.get(title="议事会临时会议")
    assert [(i.title, i.matter) for i in meeting.items.all()] == [
        ("增设快递柜", matter),
        ("其他事项", None),
    ]
    assert meeting.rules["speech_seconds"] == 90


def test_it_refuses_to_let_a_resident_schedule(client, world):
    client.force_login(world.cast["resident"])
    assert client.post(list_url(world), {"title": "x"}).status_code == 403


def test_it_keeps_the_residents_meeting_for_the_residents_committee(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        meetings.schedule_meeting(
            world.cast["party_secretary"], world.community, title="居民会议",
            kind="residents", scheduled_at=timezone.now(), agenda=[("议题", None)],
        )  # fmt: skip
    held = meetings.schedule_meeting(
        world.cast["rc_director"], world.community, title="居民会议", kind="residents",
        scheduled_at=timezone.now(), agenda=[("议题", None)],
    )  # fmt: skip
    assert held.chair == world.cast["rc_director"]


@pytest.mark.parametrize("name", ["meeting", "meeting_projector"])
def test_it_serves_the_room_and_projector_shells(client, world, meeting, name):
    client.force_login(world.cast["resident"])
    page = client.get(reverse(f"deliberation:{name}", args=[meeting.pk])).content.decode()
    assert "居民议事会第三次会议" in page
    assert f"/ws/meetings/{meeting.pk}/" in page
    assert "meeting-room.js" in page
    assert 'id="room-strings"' in page


def test_it_generates_edits_and_publishes_minutes(client, world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    meetings.join(member, meeting)
    meetings.raise_hand(member, meeting, "pro")
    meetings.grant_floor(chair, meeting, member.pk)
    meetings.end_floor(member, meeting)
    poll = meetings.open_poll(chair, meeting, question="是否成立协调小组？")
    meetings.cast(member, meeting, poll.pk, ["yes"])
    meetings.end_meeting(chair, meeting)
    minutes = Minutes.objects.get(meeting=meeting)
    assert "加装电梯协调小组" in minutes.text
    assert str(member) in minutes.text_html  # "council_member", escaped in the Markdown
    assert "是否成立协调小组？" in minutes.text
    url = reverse("deliberation:meeting_minutes", args=[meeting.pk])
    assert "是否成立协调小组" not in client.get(url).content.decode()  # a draft is not public
    client.force_login(world.cast["rc_director"])
    edited = minutes.text + "\n会后补充：协调小组下周成立。\n"
    assert client.post(url, {"action": "save", "text": edited}).status_code == 302
    assert client.post(url, {"action": "publish", "text": edited}).status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.PUBLISHED and "会后补充" in minutes.text
    client.logout()
    assert "会后补充" in client.get(url).content.decode()
    export = client.get(reverse("deliberation:meeting_minutes_markdown", args=[meeting.pk]))
    assert export["Content-Type"] == "text/markdown; charset=utf-8"
    assert export.content.decode().startswith("# 居民议事会第三次会议")


def test_it_lets_only_the_residents_committee_touch_the_minutes(client, world, meeting):
    meetings.end_meeting(world.cast["party_secretary"], meeting)
    url = reverse("deliberation:meeting_minutes", args=[meeting.pk])
    client.force_login(world.cast["resident"])
    assert client.post(url, {"action": "publish"}).status_code == 403
    assert Minutes.objects.get(meeting=meeting).status == Minutes.Status.DRAFT


@pytest.mark.parametrize("action", ["save", "publish"])
def test_it_refuses_minutes_never_generated_with_a_message_and_keeps_the_text(
    client, world, meeting, action
):
    """The meeting is still live, so nothing has drafted its minutes yet: saving or publishing
    them is refused in words, with the text as typed still in the editor."""
    url = reverse("deliberation:meeting_minutes", args=[meeting.pk])
    client.force_login(world.cast["rc_director"])
    typed = "会议纪要：与会者同意成立协调小组。"
    response = client.post(url, {"action": action, "text": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert "还没有会议纪要" in page and "message--error" in page
    assert typed in page and 'name="text"' in page
    assert not Minutes.objects.filter(meeting=meeting).exists()
    # Once drafted, the same text saves.
    assert client.post(url, {"action": "generate"}).status_code == 302
    assert client.post(url, {"action": "save", "text": typed}).status_code == 302
    assert Minutes.objects.get(meeting=meeting).text == typed


def test_it_records_speech_durations_in_the_minutes(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    meetings.raise_hand(member, meeting, "con")
    hand = meetings.grant_floor(chair, meeting, member.pk)
    start = timezone.now() - timedelta(seconds=95)
    type(hand).objects.filter(pk=hand.pk).update(granted_at=start)
    event = meeting.events.get(kind="floor.granted")
    type(event).objects.filter(pk=event.pk).update(created_at=start)
    meetings.end_floor(chair, meeting)
    text = meetings.generate_minutes(chair, meeting).text_html
    assert "1:3" in text  # 95 s, give or take the test's own run time
    # The side in words, not the code "con"; the name as typed, then the verified role badge.
    assert f"{member} <code>议事会成员</code>（反对方）" in text

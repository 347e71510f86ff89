"""A members-only matter's title stays with the members, in a real browser on a phone (390 px, in
Chinese): a public meeting's room (drawn from the live snapshot), its projector and its minutes
show a placeholder for the item to a visitor and to a signed-in non-member; a public matter
merged into a members-only one says so without its title; a notice outliving its reader's right
forgets the title. Every page fits the phone and has no serious accessibility violation."""

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from communities import services as register
from communities.models import Organization, Position
from deliberation import meetings, services
from tests.e2e.conftest import PHONE, TIMEOUT_MS, call, no_horizontal_scroll, run_axe

Kind = Organization.Kind
SECRET = "三号楼违建调查"
PLACEHOLDER = "（仅成员可见的议题）"


def _scene(world) -> dict:
    cast = world.cast
    secret = services.propose_matter(
        cast["party_secretary"], world.community, title=SECRET, body="说明", category="property",
        procedure="council_motion", visibility="members",
        stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]],
    )  # fmt: skip
    public = services.propose_matter(
        cast["party_secretary"], world.community, title="加装电梯", body="说明",
        category="facilities", procedure="council_motion", visibility="public",
    )  # fmt: skip
    services.merge(cast["rc_director"], public, secret, reason="与内部调查合并处理")
    live_meeting = meetings.schedule_meeting(
        cast["party_secretary"], world.community, title="居民议事会公开会议", kind="council",
        public=True, scheduled_at=timezone.now(), agenda=[("", secret), ("垃圾分类投放点", None)],
    )  # fmt: skip
    meetings.start_meeting(cast["party_secretary"], live_meeting)
    ended = meetings.schedule_meeting(
        cast["party_secretary"], world.community, title="居民议事会上次会议", kind="council",
        public=True, scheduled_at=timezone.now(), agenda=[("", secret), ("公开事项", None)],
    )  # fmt: skip
    meetings.start_meeting(cast["party_secretary"], ended)
    meetings.end_meeting(cast["party_secretary"], ended)
    meetings.publish_minutes(cast["rc_director"], ended)
    # The social organisation's member was told of the matter, then left their post.
    member = cast["so_member"]
    register.end_position(world.admin, Position.objects.current().get(user=member))
    return {
        "room": reverse("deliberation:meeting", args=[live_meeting.pk]),
        "projector": reverse("deliberation:meeting_projector", args=[live_meeting.pk]),
        "minutes": reverse("deliberation:meeting_minutes", args=[ended.pk]),
        "matter": public.get_absolute_url(),
    }


def test_a_members_only_title_stays_with_the_members_on_a_phone(world, browse, shots):
    paths = call(_scene, world)
    found, overflow, violations = {}, {}, {}
    for who in (None, "outsider", "so_member"):
        label = who or "visitor"
        page = browse.page(label, user=world.cast[who] if who else None, viewport=PHONE)
        visits = [*paths] if who != "so_member" else ["notifications"]
        for name in visits:
            page.goto(paths.get(name) or reverse("deliberation:notifications"))
            if name in ("room", "projector") and who is not None:
                # Signed in: the room is drawn from the live snapshot.
                expect(page.locator("#room.is-ready")).to_be_attached(timeout=TIMEOUT_MS * 2)
            if name == "room":
                expect(page.locator("[data-part=agenda]")).to_contain_text(PLACEHOLDER)
            if name == "projector":
                expect(page.locator("[data-part=item]")).to_have_text(PLACEHOLDER)
            if name == "minutes":
                expect(page.locator("article.minutes")).to_contain_text(PLACEHOLDER)
            if name == "notifications":
                expect(page.locator(".notices")).to_contain_text("（仅社区成员可见）")
            if name == "matter":
                expect(page.get_by_text("已并入一个仅社区成员可见的议题。")).to_be_visible()
            shots.step(f"{label} {name}")
            key = f"{label} {name}"
            found[key] = SECRET in page.content()
            overflow[key] = no_horizontal_scroll(page)
            violations[key] = run_axe(page)
        assert page.errors == []
    assert found == dict.fromkeys(found, False)
    assert overflow == dict.fromkeys(overflow, 0)
    assert {key: v for key, v in violations.items() if v} == {}

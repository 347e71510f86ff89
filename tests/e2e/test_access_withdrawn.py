"""Access withdrawn while the live room is open, in real browsers: the workstation revokes a
resident through its verification queue, and the resident's room page, on a phone, says why at
once and never tries to reconnect (the server accepts the socket and closes it with 4403, so the
browser sees the code; daphne would turn a close before accept into an HTTP 403, which a
browser reports as 1006, "reconnect")."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TIMEOUT_MS, call, no_horizontal_scroll

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def meeting(world):
    """A live council session for the community's insiders only."""
    from deliberation import meetings

    chair = world.cast["party_secretary"]

    def build():
        scheduled = meetings.schedule_meeting(
            chair, world.community, title="居民议事会（成员）", kind="council",
            scheduled_at=timezone.now(), public=False, agenda=[("加装电梯", None)],
        )  # fmt: skip
        return meetings.start_meeting(chair, scheduled)

    return call(build)


def test_a_revoked_resident_is_told_why_and_the_page_stops_reconnecting(
    world, meeting, browse, shots
):
    resident = world.cast["resident"]
    room = browse.page("resident", resident, viewport=PHONE)
    sockets = []
    room.on("websocket", lambda socket: sockets.append(socket.url))
    room.goto(meeting.get_absolute_url())
    expect(room.locator("#room.is-ready")).to_be_attached()
    banner = room.locator('[data-part="connection"]')
    expect(banner).to_be_hidden()
    assert len(sockets) == 1
    shots.step("the resident follows the meeting")

    staff = browse.page("staff", world.cast["ws_staff"], viewport=PHONE)
    staff.goto(f"/c/{world.community.slug}/verification/")
    decided = staff.locator(".queue__item", has_text=str(resident))
    decided.get_by_label("撤销理由").fill("已搬离本社区")
    shots.step("the workstation revokes the resident")
    started = time.monotonic()
    decided.get_by_role("button", name="撤销认证").click()

    expect(banner).to_have_text("您已无权访问本会议。", timeout=3_000)
    took = time.monotonic() - started
    expect(banner.get_by_role("button")).to_have_count(0)  # no "reconnect now"
    assert no_horizontal_scroll(room) == 0
    shots.step("the room says why")
    # The page's back-off would have tried again within a second or two; it must not.
    room.wait_for_timeout(4_000)
    assert len(sockets) == 1, sockets
    expect(banner).to_have_text("您已无权访问本会议。")
    assert room.errors == []
    print(f"4403 shown {took:.2f} s after the click")

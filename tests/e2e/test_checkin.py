"""A residents' meeting reaches quorum through QR check-in: the staff, on the 390 px scanner page
in Chinese, type the codes printed under each resident's QR code (headless Chromium has no
camera; the camera button appears only where the browser has a BarcodeDetector), and the hall's
projector shows the quorum met. A second check-in of the same code is refused with a message."""

from django.utils import timezone
from playwright.sync_api import expect

from communities import services as register
from deliberation import meetings
from deliberation.meetings import checkin
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe
from tests.e2e.tour import room_text
from tests.factories import make_user

# A fake QR reader, installed before the page's module runs, to show the camera path switches on.
FAKE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return []; }
};
"""


def _scene(world):
    """A live residents' meeting of five verified residents (quorum: more than half, 3)."""
    for i in range(3):
        person = make_user(f"jumin{i}", display_name=f"居民{i}")
        register.request_membership(person, world.community, address="2栋201")
        membership = person.memberships.get(community=world.community)
        register.verify_membership(world.admin, membership)
    held = meetings.schedule_meeting(
        world.cast["rc_director"], world.community, title="第二季度居民会议", kind="residents",
        scheduled_at=timezone.now(), place="社区活动室", agenda=[("小区停车管理", None)],
    )  # fmt: skip
    return meetings.start_meeting(world.cast["rc_director"], held)


def _codes(meeting, names, world):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return [
        checkin.code_for(meeting, world.cast[n] if n in world.cast else users.get(username=n))
        for n in names
    ]


def _fits(page):
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []


def test_a_residents_meeting_reaches_quorum_through_qr_check_in(world, browse, shots):
    meeting = call(_scene, world)
    director = world.cast["rc_director"]
    projector = browse.page("projector", director)
    projector.goto(meeting.get_absolute_url() + "projector/")
    expect(projector.locator("#room.is-ready")).to_be_attached()
    quorum = projector.locator("[data-part=presence] .quorum")
    expect(quorum).to_contain_text(room_text("zh-hans", "quorum_not_met"))
    expect(projector.locator(".projector__join svg")).to_be_visible()  # join the room by QR

    # The resident's own code, on their phone: the QR code and the code to type under it.
    mine = browse.page("resident", world.cast["resident"], viewport=PHONE)
    mine.goto(meeting.get_absolute_url())
    mine.get_by_role("link", name="我的签到码").click()
    expect(mine.get_by_role("heading", name="我的签到码")).to_be_visible()
    expect(mine.locator(".checkin-card__qr svg")).to_be_visible()
    shots.step("the resident's code")
    _fits(mine)
    resident_code = mine.get_by_test_id("checkin-code").inner_text()

    # The staff's scanner on a phone: no BarcodeDetector here, so no camera button; the form.
    scanner = browse.page("scanner", director, viewport=PHONE)
    scanner.goto(meeting.get_absolute_url())
    scanner.get_by_role("link", name="现场签到").click()
    expect(scanner.get_by_role("heading", name="现场签到")).to_be_visible()
    has_detector = scanner.evaluate("'BarcodeDetector' in window")
    mode = scanner.evaluate("document.documentElement.dataset.checkinScanner")
    assert mode == ("camera" if has_detector else "typed")
    camera = scanner.locator("[data-part=camera]")
    if has_detector:
        expect(camera).to_be_visible()
    else:
        expect(camera).to_be_hidden()
    assert scanner.errors == []
    shots.step("the scanner")
    _fits(scanner)

    others = call(_codes, meeting, ["jumin0", "jumin1"], world)
    field = scanner.get_by_label("签到码", exact=True)
    for typed in [resident_code.lower(), *others]:  # typed as a person would, case and all
        field.fill(typed)
        scanner.get_by_role("button", name="签到", exact=True).click()
        expect(scanner.locator(".messages")).to_contain_text("签到成功")
    expect(scanner.get_by_test_id("checkin-quorum")).to_contain_text("已达法定人数")
    shots.step("three checked in")
    _fits(scanner)

    # The hall sees it: three checked in (the chair, online at the projector, is present too
    # but not a resident), the quorum met.
    expect(quorum).to_contain_text(room_text("zh-hans", "quorum_met"))
    expect(quorum).to_contain_text(room_text("zh-hans", "quorum_short", present=3, needed=3))
    expect(projector.locator("[data-part=presence]")).to_contain_text(
        room_text("zh-hans", "checked_in_n", n=3)
    )
    shots.step("the projector shows the quorum")

    # The same code again: refused, with a message; still three.
    field.fill(resident_code)
    scanner.get_by_role("button", name="签到", exact=True).click()
    expect(scanner.locator(".messages")).to_contain_text("已经签到")
    expect(scanner.locator(".checkin-presence")).to_contain_text("现场签到 3 人")
    assert call(lambda: meetings.presence(meeting)["checked_in"]) == 3


def test_the_scanner_offers_the_camera_where_the_browser_reads_qr_codes(world, browse):
    meeting = call(_scene, world)
    scanner = browse.page("scanner", world.cast["rc_director"], viewport=PHONE)
    scanner.add_init_script(FAKE_DETECTOR)
    scanner.goto(f"/meetings/{meeting.pk}/check-in/")
    expect(scanner.get_by_role("button", name="用摄像头扫码")).to_be_visible()
    assert scanner.evaluate("document.documentElement.dataset.checkinScanner") == "camera"
    expect(scanner.get_by_label("签到码", exact=True)).to_be_visible()  # typing stays possible
    assert scanner.errors == []

"""待我处理 in a real browser, on a phone, in Chinese: a resident signs in through the form and
lands on their inbox, which shows the count in the header, the live meeting with its join button
(which opens the room), the meeting to come and the response to rate; the workstation's staff
register a walk-in resident and their concern from the counter page."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from playwright.sync_api import expect

from tests import walks
from tests.e2e.conftest import PHONE, TIMEOUT_MS, call, no_horizontal_scroll, run_axe
from tests.factories import PASSWORD

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def waiting(world):
    """A live council session, a residents' meeting to come, and a response to rate."""
    from deliberation import meetings

    def build():
        chair = world.cast["party_secretary"]
        live = meetings.schedule_meeting(
            chair, world.community, title="居民议事会第三次会议", kind="council",
            scheduled_at=timezone.now(), agenda=[("加装电梯", None)],
        )  # fmt: skip
        meetings.start_meeting(chair, live)
        meetings.schedule_meeting(
            world.cast["rc_director"], world.community, title="二〇二六年居民会议",
            kind="residents", scheduled_at=timezone.now() + timedelta(days=7),
            agenda=[("垃圾分类", None)],
        )  # fmt: skip
        walks.leave(world, walks.propose(world, walks.CONCERN, title="二单元楼道灯不亮"))
        # The servers hash as in production; the test process's fast hasher is not among theirs.
        hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        type(world.cast["resident"]).objects.filter(username="resident").update(password=hashed)
        return live

    return call(build)


def test_a_resident_signs_in_and_lands_on_what_waits_for_them(world, waiting, browse, shots):
    page = browse.page("resident", viewport=PHONE)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "resident")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page).to_have_url("/todo/", timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", level=1)).to_have_text("待我处理")
    shots.step("the inbox after sign-in")
    expect(page.get_by_role("link", name="待我处理，3 项")).to_be_visible()
    expect(page.locator(".site-header .inbox-link .bell__count")).to_have_text("3")
    expect(page.get_by_text("二〇二六年居民会议")).to_be_visible()
    expect(page.get_by_text("二单元楼道灯不亮")).to_be_visible()
    expect(page.get_by_text("目前没有等您投票的表决。", exact=False)).to_be_visible()
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []
    page.get_by_role("link", name="进入会议").click()
    expect(page).to_have_url(f"/meetings/{waiting.pk}/")
    expect(page.locator("#room.is-ready")).to_be_attached(timeout=TIMEOUT_MS * 2)
    shots.step("joined the live meeting from the inbox")
    assert page.errors == []


def test_workstation_staff_register_a_walk_in_on_a_phone(world, browse, shots):
    page = browse.page("ws_staff", world.cast["ws_staff"], viewport=PHONE)
    page.goto(f"/c/{world.community.slug}/")
    page.get_by_role("link", name="登记来访居民及其诉求").click()
    page.get_by_label("居民姓名").fill("王阿姨")
    page.get_by_label("手机号（选填）").fill("1391234")
    page.get_by_label("社区内住址（选填）").fill("1栋102")
    page.get_by_label("标题").fill("楼道灯坏了")
    page.get_by_label("诉求内容（按居民原话记录）").fill("二单元楼道灯坏了一周。")
    page.get_by_role("button", name="登记并记录诉求").click()
    expect(page.get_by_role("alert").first).to_contain_text("11 位中国大陆手机号")
    shots.step("a bad phone number is explained")
    assert no_horizontal_scroll(page) == 0
    page.get_by_label("手机号（选填）").fill("13912345678")
    page.get_by_role("button", name="登记并记录诉求").click()
    expect(page.locator(".messages")).to_contain_text("王阿姨 已登记并通过认证")
    shots.step("the concern is on the ledger")
    page.goto("/todo/")
    expect(page.get_by_text("楼道灯坏了")).to_be_visible()
    assert page.errors == []

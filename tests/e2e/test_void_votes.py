"""A void owners' vote on a phone (390 px, in Chinese), as the owners' committee's chair meets it:
the poll's card offers the extension its notice allowed; once the vote has closed void, the page
offers a re-run with a fresh notice, and taking it puts the matter back on notice. Each page fits
the phone and has no serious accessibility violation."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from communities import services as register
from deliberation import services
from deliberation.models import Matter, Poll
from tests import walks
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe
from tests.factories import make_user

QUESTION = "是否续聘物业服务企业？"


def _scene(world) -> str:
    chair = world.cast["oc_chair"]
    for number in ("102", "201"):  # three owners: one voting is too few
        unit = world.estate.units.get(number=number)
        register.record_ownership(world.admin, unit, make_user(f"owner{number}"))
    matter = walks.propose(world, walks.OWNERS)
    services.create_poll(
        chair, matter, question=QUESTION, kind="yes_no_abstain", law_item=4, extension_days=7,
        closes_at=timezone.now() + timedelta(days=20),
    )  # fmt: skip
    matter = services.advance(chair, walks.fresh(matter))
    matter = services.advance(chair, walks.elapse(matter))
    poll = services.open_poll(chair, matter.polls.get())
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    return matter.get_absolute_url()


def _close_by_the_clock(url):
    poll = Poll.objects.get(matter__reference=url.rstrip("/").rsplit("/", 1)[-1])
    services.close_poll_when_due(poll, poll.closes_at)


def _fits(page) -> None:
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []


def test_the_chair_extends_then_reruns_a_void_vote_on_a_phone(world, browse, shots):
    url = call(_scene, world)
    page = browse.page("oc_chair", user=world.cast["oc_chair"], viewport=PHONE)
    page.goto(url)
    card = page.locator("article.poll").filter(has=page.get_by_role("heading", name=QUESTION))
    extend = card.get_by_role("button", name="目前参与人数不足：延长 7 天")
    expect(extend).to_be_visible()
    shots.step("the extension offered")
    _fits(page)
    extend.click()
    expect(page.locator(".messages")).to_contain_text("表决已延长至")
    expect(card).to_contain_text("已延长一次")
    expect(card.get_by_role("button", name="目前参与人数不足：延长 7 天")).to_have_count(0)

    call(_close_by_the_clock, url)
    page.goto(url)
    rerun = page.locator("details#rerun-vote")
    rerun.locator("summary").click()
    shots.step("the re-run offered")
    _fits(page)
    rerun.get_by_label("备注").fill("参与人数不足，重新公告后再表决。")
    rerun.get_by_role("button", name="发布新的公告").click()
    expect(page.locator(".messages")).to_contain_text("无效的事项已重新公告")
    reference = url.rstrip("/").rsplit("/", 1)[-1]
    assert call(lambda: Matter.objects.get(reference=reference).stage) == "notice"
    _fits(page)

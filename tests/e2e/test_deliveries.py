"""The delivery log of an owners' notice on a phone (390 px, in Chinese), as the owners'
committee's chair meets it: the matter page says how many units the notice reached, the list
shows who was reached how, and recording a paper delivery (slipped under the door by the
building head) moves the count. Each page fits the phone and has no serious accessibility
violation."""

from playwright.sync_api import expect

from tests import walks
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe
from tests.factories import make_more_owners


def _scene(world) -> str:
    make_more_owners(world)
    matter = walks.walk_to(world, walks.propose(world, walks.OWNERS), "notice")
    return matter.get_absolute_url()


def _fits(page) -> None:
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []


def test_the_chair_sees_the_reach_and_records_a_paper_delivery_on_a_phone(world, browse, shots):
    url = call(_scene, world)
    page = browse.page("oc_chair", user=world.cast["oc_chair"], viewport=PHONE)
    page.goto(url)
    section = page.locator("section").filter(has=page.get_by_role("heading", name="公告送达"))
    expect(section).to_contain_text("已送达 0/3 户，未读 0")
    shots.step("the reach on the matter page")
    _fits(page)
    section.get_by_role("link", name="业主大会公告").click()
    expect(page.get_by_role("heading", name="公告送达情况：业主大会公告")).to_be_visible()
    expect(page.locator(".delivery--missing")).to_have_count(3)
    _fits(page)
    page.get_by_label("纸质送达对象").select_option(label="owner_b 莲花社区一村·1-102")
    page.get_by_label("送达方式（可选）").fill("楼长塞入门缝")
    page.get_by_role("button", name="登记送达").click()
    expect(page.locator(".messages")).to_contain_text("纸质送达已登记")
    expect(page.locator(".delivery-summary")).to_contain_text("已送达 1/3 户，未读 1")
    expect(page.locator(".delivery--missing")).to_have_count(2)
    expect(page.locator(".delivery").filter(has_text="owner_b")).to_contain_text("纸质")
    shots.step("a paper delivery recorded")
    _fits(page)


def test_an_owner_does_not_see_the_delivery_log(world, browse):
    url = call(_scene, world)
    page = browse.page("owner", user=world.cast["owner"], viewport=PHONE)
    page.goto(url)
    expect(page.get_by_role("heading", name="公告送达")).to_have_count(0)
    response = page.goto(url + "notices/owners_notice/")
    assert response.status == 404

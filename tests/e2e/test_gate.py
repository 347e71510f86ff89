"""The legal gate and the shortfall list on a phone (390 px, in Chinese): the owners' committee's
chair sees the owners' vote's turnout against 2/3 of heads and of area, with the shortfall in
words, follows the link to who has not voted yet by building, and later finds the closed vote
headed 无效; a building head sees only their building. Each page fits the phone and has no
serious accessibility violation."""

from playwright.sync_api import expect

from communities import building_head_services
from deliberation import services
from deliberation.models import Poll
from tests import factories, walks
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe

SHORT = "还差 2 户、1,427.34 m² 才达到法定参与比例"


def _scene(world):
    factories.own_every_unit(world)
    head = factories.make_user("louzhang2", display_name="楼长乙")
    building_head_services.appoint_building_head(world.cast["rc_director"], world.estate, "2", head)
    matter, _poll = walks.owners_poll(world)
    return matter.get_absolute_url(), head


def _close(world, url):
    poll = Poll.objects.get(matter__reference=url.rstrip("/").rsplit("/", 1)[-1])
    services.close_poll(world.cast["oc_chair"], poll)


def _fits(page) -> None:
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []


def test_the_gate_and_the_shortfall_list_on_a_phone(world, browse, shots):
    url, head = call(_scene, world)
    page = browse.page("oc_chair", user=world.cast["oc_chair"], viewport=PHONE)
    page.goto(url)
    card = page.locator("article.poll")
    gate = card.locator("figure.gate")
    expect(gate).to_be_visible()
    expect(gate.locator("figcaption")).to_have_text(SHORT)
    expect(gate.locator("line.bar-threshold")).to_have_count(2)
    box = gate.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    shots.step("the gate on the matter page")
    _fits(page)

    card.get_by_role("link", name="尚未投票名单（按楼栋）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("尚未投票名单")
    expect(page.get_by_text("尚未投票：3")).to_be_visible()
    expect(page.locator(".shortfall-table td", has_text="owner301")).to_be_visible()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    shots.step("the shortfall list")
    _fits(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator(".shortfall-table").first).to_be_visible()
    page.emulate_media(media="screen")

    # A building head: their building only.
    mine = browse.page("head", user=head, viewport=PHONE)
    mine.goto(page.url)
    expect(mine.get_by_text("您只能看到您担任楼长的楼栋。")).to_be_visible()
    expect(mine.locator(".shortfall-table td", has_text="owner301")).to_be_visible()
    expect(mine.locator(".shortfall-table td", has_text="owner102")).to_have_count(0)
    _fits(mine)

    call(_close, world, url)
    page.goto(url)
    verdict = page.locator("article.poll .verdict strong")
    expect(verdict).to_have_text("无效")
    expect(page.locator("article.poll figure.gate figcaption")).to_have_text(SHORT)
    shots.step("the void vote")
    _fits(page)


def _live_owners_vote(world):
    """A live owners' assembly voting on its noticed item; nobody has voted yet."""
    from django.utils import timezone

    from deliberation import meetings
    from deliberation.models import Meeting

    factories.own_every_unit(world)
    chair = world.cast["oc_chair"]
    matter = walks.propose(world, walks.OWNERS)
    noticed = services.create_poll(
        chair, matter, question=QUESTION, kind="yes_no_abstain", law_item=4
    )
    matter = services.advance(chair, walks.fresh(matter))
    matter = services.advance(chair, walks.elapse(matter))
    meeting = meetings.schedule_meeting(
        chair, world.community, title="业主大会", kind=Meeting.Kind.OWNERS,
        scheduled_at=timezone.now(), estate=world.estate, agenda=[("续聘物业", matter)],
    )  # fmt: skip
    meeting = meetings.start_meeting(chair, meeting)
    meetings.open_poll(chair, meeting, question=QUESTION, poll_id=noticed.pk)
    return meeting


QUESTION = "是否续聘物业服务企业？"


def _open_room(browse, name, user, meeting, *, projector=False):
    page = browse.page(name, user, viewport=PHONE)
    page.goto(meeting.get_absolute_url() + ("projector/" if projector else ""))
    expect(page.locator("#room.is-ready")).to_be_attached()
    return page


def test_the_projector_shows_the_gate_move_live_and_the_void_result(world, browse, shots):
    meeting = call(_live_owners_vote, world)
    projector = _open_room(browse, "projector", world.cast["rc_director"], meeting, projector=True)
    owner = _open_room(browse, "owner", world.cast["owner"], meeting)
    chair = _open_room(browse, "chair", world.cast["oc_chair"], meeting)
    gate = projector.locator(".live-poll figure.gate")
    expect(gate.locator("figcaption")).to_have_text("还差 3 户、1,515.84 m² 才达到法定参与比例")
    expect(gate.locator("line.bar-threshold")).to_have_count(2)
    svg = gate.locator("svg").element_handle()

    owner.get_by_role("button", name="赞成", exact=True).click()
    expect(owner.locator(".live-poll")).to_contain_text("您的投票已记录")
    expect(gate.locator("figcaption")).to_have_text(SHORT)
    expect(owner.locator(".live-poll figure.gate figcaption")).to_have_text(SHORT)
    # Updated in place: the same drawing, its bar grown.
    assert gate.locator("svg").element_handle().evaluate("(el, old) => el === old", svg)
    shots.step("the gate moves on the projector")
    assert no_horizontal_scroll(projector) == 0 and run_axe(projector) == []

    chair.get_by_role("button", name="结束表决并锁定结果").click()
    verdict = projector.locator(".live-poll .verdict strong")
    expect(verdict).to_have_text("无效")
    labels = projector.locator(".live-poll .bar__label")
    expect(labels.first).to_be_visible()
    for text in labels.all_inner_texts():
        assert "%" not in text, text  # the ballots of a void vote as counts, no share
    # Turnout comes after the headline and before the ballots.
    order = projector.locator(".live-poll").evaluate(
        """(card) => ['.verdict', 'figure.gate', '.bars'].map(
            (sel) => Array.from(card.querySelectorAll('*')).indexOf(card.querySelector(sel)))"""
    )
    assert order == sorted(order), order
    shots.step("the void result on the projector")
    assert no_horizontal_scroll(projector) == 0 and run_axe(projector) == []
    assert projector.errors == [] and owner.errors == [] and chair.errors == []

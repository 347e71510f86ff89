"""An owners' vote that reaches the 2/3 gate only through online, paper and proxy ballots
together, on phones (390 px, in Chinese), with the gate crossed live on the projector:
- an owner votes online in the live room;
- an elderly owner's written ballot is entered by one scrutineer and confirmed by a second,
  who reads it on their own (a different reading is refused first);
- another owner authorises a neighbour on a photographed written authorisation, and the
  neighbour votes for them from the matter page;
- the register's reconciliation adds the three ways up to the total.
Each page fits the phone and has no serious accessibility violation."""

import re

from playwright.sync_api import expect

from deliberation.models import Poll
from deliberation.services import register
from tests import factories
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe
from tests.e2e.test_gate import _live_owners_vote, _open_room


def _scene(world):
    meeting = _live_owners_vote(world)
    poll = Poll.objects.get(agenda_item__meeting=meeting)
    scrutineers = [factories.make_user(name, display_name=label) for name, label in
                   (("jipiao1", "计票人甲"), ("jipiao2", "计票人乙"))]  # fmt: skip
    for person in scrutineers:
        register.appoint_scrutineer(world.cast["oc_chair"], poll, person)
    neighbour = factories.make_user("linju", display_name="邻居老陈")
    return meeting, poll, scrutineers, neighbour


def _owner(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _fits(page) -> None:
    assert no_horizontal_scroll(page) == 0
    assert run_axe(page) == []


def test_online_paper_and_proxy_together_cross_the_gate_live(world, browse, shots):
    meeting, poll, (first, second), neighbour = call(_scene, world)
    projector = _open_room(browse, "projector", world.cast["rc_director"], meeting, projector=True)
    gate = projector.locator(".live-poll figure.gate figcaption")
    expect(gate).to_have_text("还差 3 户、1,515.84 m² 才达到法定参与比例")

    # Online, in the room: one head, 88.50 m².
    owner = _open_room(browse, "owner", world.cast["owner"], meeting)
    owner.get_by_role("button", name="赞成", exact=True).click()
    expect(gate).to_have_text("还差 2 户、1,427.34 m² 才达到法定参与比例")

    # On paper: 2栋301 (2,000.00 m²), entered by one scrutineer, confirmed by another.
    entry = browse.page("scrutineer 1", first, viewport=PHONE)
    entry.goto(f"/polls/{poll.pk}/register/")
    expect(entry.get_by_role("heading", level=1)).to_have_text("投票登记册")
    entry.get_by_label("房号").fill("2栋301")
    entry.get_by_role("radio", name="赞成").check()
    entry.get_by_role("button", name="录入选票").click()
    expect(entry.locator(".messages")).to_contain_text("现须由第二名计票人复核")
    expect(entry.get_by_text("待第二名计票人复核").first).to_be_visible()
    shots.step("a written ballot awaiting its second scrutineer")
    _fits(entry)

    check = browse.page("scrutineer 2", second, viewport=PHONE)
    check.goto(f"/polls/{poll.pk}/register/")
    pending = check.locator(".queue__item").filter(has_text="301")
    pending.get_by_role("radio", name="反对").check()
    pending.get_by_role("button", name="复核：我看到的选择相同").click()
    expect(check.locator(".form-errors").first).to_contain_text("不一致")
    pending = check.locator(".queue__item").filter(has_text="301")
    pending.get_by_role("radio", name="赞成").check()
    pending.get_by_role("button", name="复核：我看到的选择相同").click()
    expect(check.locator(".messages")).to_contain_text("两次录入一致")
    expect(gate).to_have_text("还差 1 户才达到法定参与比例")

    # By proxy: the owner of 1栋102 authorises a neighbour on a photo of the signed form.
    principal = call(_owner, "owner102")
    voter = browse.page("owner 102", principal, viewport=PHONE)
    voter.goto(f"/polls/{poll.pk}/proxy/")
    voter.get_by_label("受托人的用户名").fill("linju")
    voter.get_by_label("书面委托书").set_input_files(
        {"name": "委托书.png", "mimeType": "image/png", "buffer": factories.png_bytes((60, 40))}
    )
    shots.step("authorising a proxy")
    _fits(voter)
    voter.get_by_role("button", name="委托", exact=True).click()
    expect(voter.locator(".messages")).to_contain_text("现在可以代")

    proxy = browse.page("neighbour", neighbour, viewport=PHONE)
    proxy.goto(poll_url := call(lambda: Poll.objects.get(pk=poll.pk).matter.get_absolute_url()))
    card = proxy.locator(f"#poll-{poll.pk}")
    card.get_by_role("radio", name="赞成").check()
    card.get_by_role("button", name=re.compile(r"^代 .+ 投票$")).click()
    expect(proxy.locator(".messages")).to_contain_text("投票已记录")
    assert poll_url

    # The gate is crossed, live, only now.
    expect(gate).to_have_text("已达到法定参与比例。")
    shots.step("the gate crossed on the projector")

    report = browse.page("chair register", world.cast["oc_chair"], viewport=PHONE)
    report.goto(f"/polls/{poll.pk}/register/")
    rows = report.locator(".register-table")
    for channel in ("online", "paper", "proxy"):
        expect(rows.locator(f'tr[data-channel="{channel}"] td').first).to_have_text("1")
    expect(rows.locator('tr[data-channel="total"] td').first).to_have_text("3")
    expect(report.get_by_text("网上、纸质和委托投票之和与合计相符。")).to_be_visible()
    expect(report.locator("#proxies")).to_be_visible()
    shots.step("the reconciliation")
    _fits(report)
    for page in (projector, owner, entry, check, voter, proxy, report):
        assert page.errors == []

"""Three journeys through the pages in a real browser, each person in a browser context of their
own: a newcomer signs up and is verified; a major matter goes through 四议两公开 to its published
result; the owners of an estate decide an Art. 278 matter by area and by headcount.

Only what the pages cannot do is done from the test, through `call`: building the register
before the pages open, and `elapse`, which backdates a notice period that has run.
"""

import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from communities import services as register
from communities.models import Unit
from deliberation import procedures
from deliberation.models import Matter
from tests import walks
from tests.e2e.conftest import TIMEOUT_MS, call
from tests.factories import make_user

SLUG = "lianhua"
PASSWORD = "Lotus-pond-2026!"


@pytest.fixture(autouse=True)
def _patient_expect():
    """Every `expect` waits as long as any other bounded step of these tests."""
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)


def zh(message, *, context=None, **values) -> str:
    """What a zh-Hans reader sees for a msgid (or a lazy string), with its %(name)s filled."""
    with translation.override("zh-hans"):
        if context:
            text = translation.pgettext(context, message)
        elif isinstance(message, str):
            text = translation.gettext(message)
        else:
            text = str(message)
    return text % values if values else text


def stage_name(procedure: str, stage: str) -> str:
    return zh(procedures.get(procedure).stage(stage).name)


def messages(page):
    """The page's flash messages (the list with role=status at the top of <main>)."""
    return page.locator("ul.messages")


def fill_proposal(page, title, body, procedure, category="facilities"):
    page.get_by_label(zh("Title")).fill(title)
    page.get_by_label(zh("Description")).fill(body)
    page.get_by_label(zh("Procedure")).select_option(procedure)
    page.get_by_label(zh("Category")).select_option(category)


# ---------------------------------------------------------------------------------------------
# 1. Sign-up and verification


def test_it_lets_a_newcomer_sign_up_get_verified_and_then_take_part(world, browse, shots):
    # A concern is readable by members of the community only; a public matter takes comments
    # from verified residents (and the community's bodies) only.
    private = call(walks.propose, world, walks.CONCERN, title="三栋楼道漏水（居民内部）")
    public = call(walks.propose, world, walks.FOUR, title="加装二号楼电梯")
    ledger_url = f"/c/{SLUG}/ledger/"

    newcomer = browse.page("newcomer")
    newcomer.goto("/accounts/signup/")
    newcomer.get_by_label(zh("username")).fill("lin_xiaomei")
    newcomer.get_by_label(zh("Your name")).fill("林小梅")
    newcomer.get_by_label(zh("Password"), exact=True).fill(PASSWORD)
    newcomer.get_by_label(zh("Password confirmation")).fill(PASSWORD)
    shots.step("sign-up form")
    newcomer.get_by_role("button", name=zh("Create my account")).click()
    expect(messages(newcomer)).to_contain_text(
        zh("Welcome! Now ask to join your community, so that staff can verify you.")
    )
    expect(newcomer.get_by_role("button", name=zh("Sign out"))).to_be_visible()

    # Workstation staff keep the queue open; it is empty for now.
    staff = browse.page("ws_staff", world.cast["ws_staff"])
    staff.goto(f"/c/{SLUG}/verification/")
    expect(staff.get_by_role("heading", name=zh("Verification queue"))).to_be_visible()
    expect(staff.get_by_text("林小梅")).to_have_count(0)

    newcomer.goto(f"/c/{SLUG}/")
    newcomer.get_by_role("link", name=zh("Ask to join as a resident")).click()
    newcomer.get_by_label(zh("address in the community")).fill("1栋 201室")
    shots.step("join form")
    newcomer.get_by_role("button", name=zh("Send my request")).click()
    expect(messages(newcomer)).to_contain_text(
        zh("Your request has been sent. Community staff will verify you shortly.")
    )
    expect(newcomer.get_by_text(zh("awaiting verification"), exact=True)).to_be_visible()
    expect(
        newcomer.get_by_text(
            zh("Your request to join is waiting for community staff to verify it.")
        )
    ).to_be_visible()

    # Waiting: none of what only members see. The concern is neither listed nor readable, the
    # ledger offers no proposing, the public matter takes no comment from them.
    newcomer.goto(ledger_url)
    expect(newcomer.get_by_role("link", name=public.reference)).to_be_visible()
    expect(newcomer.get_by_role("link", name=private.reference)).to_have_count(0)
    expect(newcomer.get_by_role("link", name=zh("Propose a matter"))).to_have_count(0)
    response = newcomer.goto(private.get_absolute_url())
    assert response.status == 404
    newcomer.goto(public.get_absolute_url())
    expect(newcomer.get_by_role("heading", name=zh("Discussion"))).to_be_visible()
    expect(newcomer.get_by_label(zh("Your comment"))).to_have_count(0)
    # Typing the propose address by hand gets a form, but the ledger refuses the matter.
    newcomer.goto(f"/c/{SLUG}/propose/")
    fill_proposal(newcomer, "楼下早市噪音", "早上五点开始吆喝。", walks.CONSULTATION)
    newcomer.get_by_role("button", name=zh("Put it on the ledger")).click()
    expect(newcomer.get_by_role("alert")).to_contain_text(
        zh("Only verified residents and the community's bodies may propose matters.")
    )
    shots.step("waiting newcomer")

    # The staff's open queue hears of the request (verification-queue.js) and offers a reload.
    banner = staff.get_by_role("status").filter(has_text=zh("New requests have arrived."))
    expect(banner).to_be_visible()
    shots.step("queue hears of the request")
    banner.get_by_role("link", name=zh("Reload the queue")).click()
    request = staff.get_by_role("listitem").filter(has_text="林小梅")
    expect(request).to_contain_text("1栋 201室")
    # The address names a unit of the register: staff verify the resident into that household.
    unit = call(lambda: world.estate.units.select_related("estate").get(number="201").label)
    expect(request.get_by_label(zh("Unit lived in"))).to_have_value(unit)
    request.get_by_role("button", name=zh("Verify"), exact=True).click()
    expect(messages(staff)).to_contain_text(zh("%(name)s is now verified.", name="林小梅"))
    decided = staff.locator(
        "section", has=staff.get_by_role("heading", name=zh("Recent decisions"))
    )
    expect(decided.get_by_role("listitem").filter(has_text="林小梅")).to_contain_text(
        zh("verified")
    )
    shots.step("verified by staff")

    # After a reload the resident sees and may do what members see and do.
    newcomer.goto(f"/c/{SLUG}/")
    expect(
        newcomer.get_by_text(zh("You are a verified resident: you can propose, comment and vote."))
    ).to_be_visible()
    newcomer.goto(ledger_url)
    expect(newcomer.get_by_role("link", name=private.reference)).to_be_visible()
    expect(newcomer.get_by_role("link", name=zh("Propose a matter"))).to_be_visible()
    newcomer.get_by_role("link", name="三栋楼道漏水（居民内部）").click()
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text(private.title)
    newcomer.goto(public.get_absolute_url())
    newcomer.get_by_label(zh("Your comment")).fill("支持加装电梯，三楼以上老人出行不便。")
    newcomer.get_by_role("button", name=zh("Post the comment")).click()
    expect(messages(newcomer)).to_contain_text(zh("Your comment was posted."))
    comment = newcomer.locator("li.comment").filter(has_text="三楼以上老人出行不便")
    expect(comment).to_contain_text("林小梅")
    shots.step("verified resident takes part")
    assert newcomer.errors == [] and staff.errors == []


# ---------------------------------------------------------------------------------------------
# 2. A major matter through 四议两公开


def current_stage(page):
    return page.locator('.stages [aria-current="step"]')


def advance(page, button, *, note=""):
    """Leave the current stage with the stage's own button (and its note, when it asks one)."""
    form = page.locator("form#advance-form")
    if note:
        form.get_by_role("textbox").fill(note)
    form.get_by_role("button", name=button).click()


def moved_on(page, procedure, stage):
    expect(messages(page)).to_contain_text(zh("The matter moved on."))
    expect(current_stage(page)).to_have_text(stage_name(procedure, stage))


def create_poll(page, question, electorate, *, law_item=None):
    details = page.locator("details#create-poll")
    details.get_by_text(zh("Create a poll"), exact=True).click()
    details.get_by_label(zh("Question")).fill(question)
    details.get_by_label(zh("Kind"), exact=True).select_option("yes_no_abstain")
    details.get_by_label(zh("Who votes")).select_option(electorate)
    if law_item is not None:
        details.get_by_label(zh("Art. 278 item")).select_option(str(law_item))
    details.get_by_role("button", name=zh("Create the poll")).click()
    expect(messages(page)).to_contain_text(zh("The poll was created."))


def elapse(reference):
    """Let the current stage's notice period run: its clock is backdated (tests/walks.py)."""
    call(lambda: walks.elapse(Matter.objects.get(reference=reference)))


def done_with(page):
    """Close a person's page once their part is over (steps photograph only open pages)."""
    assert page.errors == []
    page.close()


def poll_card(page, question):
    return page.locator("article.poll").filter(
        has=page.get_by_role("heading", name=question, exact=True)
    )


def vote(page, matter_url, question, choice):
    page.goto(matter_url)
    card = poll_card(page, question)
    card.get_by_label(zh(choice), exact=True).check()
    card.get_by_role("button", name=zh("Vote"), exact=True).click()
    expect(messages(page)).to_contain_text(zh("Your vote was recorded."))
    expect(poll_card(page, question)).to_contain_text(zh("Your vote is recorded."))


def close_poll(page, question):
    card = poll_card(page, question)
    card.get_by_role("button", name=zh("Close the poll and freeze the result")).click()
    expect(messages(page)).to_contain_text(zh("The poll was closed and its result frozen."))
    return poll_card(page, question)


def test_it_carries_a_major_matter_through_four_deliberations_to_its_result(world, browse, shots):
    four = walks.FOUR
    secretary = browse.page("party_secretary", world.cast["party_secretary"])
    secretary.goto(f"/c/{SLUG}/propose/")
    title = "改造社区文化广场"
    fill_proposal(
        secretary, title, "广场地面破损，夜间照明不足；拟翻修地面并加装路灯。", four, "culture"
    )
    secretary.get_by_label(zh("On behalf of")).select_option(label="莲花社区党委")
    secretary.get_by_label("莲花社区居委会").check()
    shots.step("proposal")
    secretary.get_by_role("button", name=zh("Put it on the ledger")).click()
    expect(secretary).to_have_url(re.compile(rf"/c/{SLUG}/m/LH-\d{{4}}-\d{{4}}/$"))
    reference = re.search(r"/m/([^/]+)/$", secretary.url).group(1)
    matter_url = f"/c/{SLUG}/m/{reference}/"
    expect(messages(secretary)).to_contain_text(
        zh("Matter %(ref)s is on the ledger.", ref=reference)
    )
    expect(secretary.get_by_text(zh("on behalf of %(org)s", org="莲花社区党委"))).to_be_visible()

    # 党组织提议 → 两委商议
    expect(current_stage(secretary)).to_have_text(stage_name(four, "proposal"))
    advance(secretary, zh("Send to the joint meeting"))
    moved_on(secretary, four, "consultation")

    # 两委商议: the joint meeting's outcome, written by the residents' committee's director.
    director = browse.page("rc_director", world.cast["rc_director"])
    director.goto(matter_url)
    advance(
        director,
        zh("Send to the party members' review"),
        note="两委联席会议一致同意提交党员大会审议。",
    )
    moved_on(director, four, "review")
    shots.step("joint meeting")

    # 党员大会审议: the party members on the roll vote (the secretary and one resident).
    review_q = "党员大会：是否同意改造文化广场？"
    secretary.goto(matter_url)
    create_poll(secretary, review_q, "party")
    vote(secretary, matter_url, review_q, "yes")
    resident = browse.page("resident", world.cast["resident"])
    vote(resident, matter_url, review_q, "yes")
    secretary.goto(matter_url)
    card = close_poll(secretary, review_q)
    expect(card.locator(".verdict")).to_have_text(zh("Passed"))
    advance(secretary, zh("Send to the residents' meeting"))
    moved_on(secretary, four, "decision")
    shots.step("party review")
    done_with(secretary)

    # 居民会议决议: every verified resident may vote; both do, yes.
    decision_q = "居民会议：是否同意改造文化广场？"
    director.goto(matter_url)
    create_poll(director, decision_q, "residents")
    owner = browse.page("owner", world.cast["owner"])
    vote(resident, matter_url, decision_q, "yes")
    vote(owner, matter_url, decision_q, "yes")
    shots.step("residents vote")
    done_with(owner)
    director.goto(matter_url)
    card = close_poll(director, decision_q)
    expect(card.locator(".verdict")).to_have_text(zh("Passed"))
    advance(director, zh("Publish the decision"))
    moved_on(director, four, "notice")

    # 决议公开: the resolution goes on notice; a resident objects, the committee answers.
    publish = director.locator("details#publish-resolution")
    publish.get_by_label(zh("Text of the resolution")).fill(
        "**决议**：翻修文化广场地面，加装路灯十二盏，预算由社区党群服务经费列支。"
    )
    publish.get_by_role("button", name=zh("Publish"), exact=True).click()
    expect(messages(director)).to_contain_text(re.compile(r"LH-R-\d{4}-001"))
    resolution_ref = re.search(r"LH-R-\d{4}-001", messages(director).inner_text()).group(0)
    expect(director.locator("#resolution")).to_contain_text("加装路灯十二盏")

    resident.goto(matter_url)
    expect(resident.get_by_text(zh(
        "Public notice (公示): residents may raise objections below, and the responsible body "
        "must answer them."
    ))).to_be_visible()  # fmt: skip
    resident.get_by_label(zh("Your comment")).fill("路灯太亮会影响低层住户休息，请调整朝向。")
    resident.get_by_label(zh("This is a formal objection (异议) during public notice")).check()
    resident.get_by_role("button", name=zh("Post the comment")).click()
    expect(messages(resident)).to_contain_text(zh("Your comment was posted."))
    shots.step("objection")
    done_with(resident)

    # The notice cannot end early, nor with an objection unanswered.
    director.goto(matter_url)
    advance(director, zh("End the notice period"))
    expect(director.get_by_role("alert")).to_contain_text(zh("Answer every objection first."))
    expect(director.get_by_role("alert")).to_contain_text(
        zh("The notice period runs until %(when)s.").split("%(when)s")[0]
    )
    objection = director.locator("li.comment").filter(has_text="影响低层住户休息")
    objection.get_by_label(zh("Answer"), exact=True).fill("已调整为向下照明，并加装遮光罩。")
    objection.get_by_role("button", name=zh("Answer"), exact=True).click()
    expect(messages(director)).to_contain_text(zh("The objection was answered."))
    shots.step("objection answered")
    elapse(reference)
    director.reload()
    advance(director, zh("End the notice period"))
    moved_on(director, four, "implementation")

    # 实施结果公开
    update = director.locator("details#post-update")
    update.get_by_label(zh("What was done")).fill("广场地面已翻修，十二盏路灯已安装并通过验收。")
    update.get_by_label(zh("Status")).select_option("completed")
    update.get_by_role("button", name=zh("Publish the update")).click()
    expect(messages(director)).to_contain_text(zh("The update was published."))
    advance(director, zh("Close the matter as carried out"))
    expect(messages(director)).to_contain_text(zh("The matter moved on."))
    expect(director.locator(".page-header .badge").first).to_have_text(
        zh("decided", context="matter status")
    )
    expect(director.locator(".stages__item--done")).to_have_count(6)
    shots.step("carried out")

    # The ledger keeps it, decided and carried out; the board shows what was decided and done.
    visitor = browse.page("visitor")
    visitor.goto(f"/c/{SLUG}/ledger/")
    row = visitor.get_by_role("row").filter(has=visitor.get_by_role("link", name=reference))
    expect(row).to_contain_text(title)
    expect(row).to_contain_text(zh("decided", context="matter status"))
    expect(row).to_contain_text(zh("carried out"))
    visitor.goto(f"/c/{SLUG}/resolutions/")
    card = visitor.get_by_role("listitem").filter(has_text=resolution_ref)
    expect(card).to_contain_text(title)
    expect(card).to_contain_text(zh("completed"))
    expect(card).to_contain_text("加装路灯十二盏")
    expect(card).to_contain_text("十二盏路灯已安装并通过验收")
    shots.step("ledger and board")
    assert director.errors == [] and visitor.errors == []


# ---------------------------------------------------------------------------------------------
# 3. An owners' joint decision (Civil Code Art. 278) by area and by headcount

# The estate's register for this vote: the test community's three units, four more, and the
# owners of each (the cast's "owner" holds 101). 白先生 owns two units; 401 is still the
# developer's. Areas in m².
UNITS = {"101": "88.50", "102": "120.00", "201": "65.25",
         "202": "150.00", "301": "50.00", "302": "40.00", "401": "30.00"}  # fmt: skip
OWNERS = {"owner_bai": ("白先生", ("102", "202")), "owner_chen": ("陈女士", ("201",)),
          "owner_deng": ("邓先生", ("301",)), "owner_e": ("鄂女士", ("302",))}  # fmt: skip


def build_owners_register(world):
    """Units of different areas and their owners, recorded by the register's staff."""
    staff = world.cast["ws_staff"]  # the workstation keeps the property register
    for number, area in UNITS.items():
        if not world.estate.units.filter(number=number).exists():
            unit = Unit(estate=world.estate, building="1", number=number, area=Decimal(area))
            unit.developer_held = number == "401"
            register.save_structure(staff, unit)
    people = {}
    for username, (name, numbers) in OWNERS.items():
        people[username] = make_user(username, display_name=name)
        for number in numbers:
            register.record_ownership(
                staff, world.estate.units.get(number=number), people[username]
            )
    return people


def test_it_decides_an_owners_matter_by_area_and_by_headcount(world, browse, shots):
    owners = {**call(build_owners_register, world), "owner": world.cast["owner"]}
    chair = browse.page("oc_chair", world.cast["oc_chair"])
    chair.goto(f"/c/{SLUG}/propose/")
    title = "续聘物业服务企业"
    fill_proposal(
        chair, title, "现物业合同年底到期，业委会提议续聘三年。", walks.OWNERS, "property"
    )
    chair.get_by_label(zh("Estate"), exact=True).select_option(label="莲花社区一村")
    chair.get_by_label(zh("On behalf of")).select_option(label="莲花社区业委会")
    chair.get_by_role("button", name=zh("Put it on the ledger")).click()
    expect(chair).to_have_url(re.compile(rf"/c/{SLUG}/m/LH-\d{{4}}-\d{{4}}/$"))
    reference = re.search(r"/m/([^/]+)/$", chair.url).group(1)
    matter_url = f"/c/{SLUG}/m/{reference}/"

    # The agenda: one item, Art. 278 item 4 (hire the property company: an ordinary matter).
    question = "是否续聘现物业服务企业三年？"
    create_poll(chair, question, "owners", law_item=4)
    card = poll_card(chair, question)
    expect(card).to_contain_text(zh("on the agenda, not yet open"))
    expect(card).to_contain_text(zh("Art. 278 item %(n)s", n=4))
    advance(chair, zh("Publish the notice and freeze the agenda"))
    moved_on(chair, walks.OWNERS, "notice")
    shots.step("notice published")

    # Fifteen days of notice must run before anyone votes.
    advance(chair, zh("Start voting"))
    expect(chair.get_by_role("alert")).to_contain_text(
        zh("The notice period runs until %(when)s.").split("%(when)s")[0]
    )
    elapse(reference)
    chair.goto(matter_url)
    advance(chair, zh("Start voting"))
    moved_on(chair, walks.OWNERS, "voting")
    poll_card(chair, question).get_by_role("button", name=zh("Open voting")).click()
    expect(messages(chair)).to_contain_text(zh("Voting is open."))
    # Six heads: five owners (白先生's two units are one head) and the developer's unit 401.
    # Total area 88.50 + 120.00 + 65.25 + 150.00 + 50.00 + 40.00 + 30.00 = 543.75 m².
    expect(poll_card(chair, question)).to_contain_text(
        zh("Electorate: %(heads)s", heads=6) + " · " + zh("total area %(area)s m²", area="543.75")
    )
    shots.step("voting open")

    # Each owner votes on the matter page in a browser of their own; 鄂女士 (302) does not.
    for username, choice in (
        ("owner_bai", "yes"),
        ("owner_deng", "yes"),
        ("owner", "no"),
        ("owner_chen", "abstain"),
    ):
        page = browse.page(username, owners[username])
        vote(page, matter_url, question, choice)
        done_with(page)
    shots.step("owners voted")

    chair.goto(matter_url)
    card = close_poll(chair, question)
    shots.step("poll closed")
    # By hand, under Art. 278 (ordinary matter):
    # - taking part: 白, 邓, owner, 陈 = 4 of 6 heads = exactly 2/3, and "≥ 2/3" includes the
    #   boundary; area 270.00 + 50.00 + 88.50 + 65.25 = 473.75 of 543.75 m² = 87.1% ≥ 2/3.
    #   The abstention counts as taking part. The gate is met.
    # - yes by area: 白 270.00 + 邓 50.00 = 320.00 of 473.75 m² = 67.5% > 1/2: met.
    # - yes by headcount: 白 and 邓 = 2 of 4 heads = exactly 1/2, and "过半数" is strict: NOT met.
    # So the item fails on headcount alone. A naive count of ballots per unit (白's two units
    # as two, 3 yes of 5) would have called it 60% and passed.
    # The charts' percentages are shares of those taking part: no 88.50 m² = 18.7%,
    # abstain 65.25 m² = 13.8%; 1 head each = 25.0%.
    expect(card.locator(".verdict")).to_contain_text(zh("Not passed"))
    expect(card.locator(".verdict")).to_contain_text(zh("not enough yes by headcount"))
    expect(card.locator(".verdict")).not_to_contain_text(zh("not enough yes by area"))
    expect(card).to_contain_text(zh("taking part: %(n)s", n=4))
    heads = card.get_by_role("img", name=re.compile(re.escape(f"{question} · {zh('Headcount')}")))
    area = card.get_by_role(
        "img", name=re.compile(re.escape(f"{question} · {zh('Exclusive area')}"))
    )
    expected = {
        heads: ("4", {"yes": "2 · 50.0%", "no": "1 · 25.0%", "abstain": "1 · 25.0%"}),
        area: (
            "473.75 m²",
            {"yes": "320.00 m² · 67.5%", "no": "88.50 m² · 18.7%", "abstain": "65.25 m² · 13.8%"},
        ),
    }
    for chart, (total, bars) in expected.items():
        expect(chart).to_be_visible()
        expect(chart.locator(".bar-total")).to_contain_text(total)
        for key, text in bars.items():
            expect(chart.locator(f'g.bar[data-key="{key}"] .bar-value')).to_have_text(text)
    expect(heads).to_have_accessible_name(re.compile(re.escape(f"{zh('yes')}: 2 (50.0%)")))
    expect(area).to_have_accessible_name(re.compile(re.escape(f"{zh('yes')}: 320.00 m² (67.5%)")))

    # It did not pass, so it cannot be announced; the chair closes it with the reason.
    reject = chair.locator("details#reject")
    reject.get_by_text(zh("Reject"), exact=True).click()
    reject.get_by_label(zh("Reason")).fill("业主表决未过半数（人数），本次不续聘。")
    reject.get_by_role("button", name=zh("Reject the matter")).click()
    expect(messages(chair)).to_contain_text(zh("The matter was rejected."))
    chair.goto(f"/c/{SLUG}/ledger/")
    row = chair.get_by_role("row").filter(has=chair.get_by_role("link", name=reference))
    expect(row).to_contain_text(zh("rejected"))
    shots.step("rejected on the ledger")
    assert chair.errors == []

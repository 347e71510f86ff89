"""A live 居民议事会 in real browsers: the chair, two council members (one on a desktop, one on
a phone) and the hall's projector follow one meeting through the page, as its users would.

Everything that happens in the room is done through the pages (the test process's own services
would not reach the server's in-memory channel layer); only the meeting itself is set up
beforehand through the services.
"""

import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, TIMEOUT_MS, call, no_horizontal_scroll

expect.set_options(timeout=TIMEOUT_MS)

QUESTION = "是否成立加装电梯协调小组？"
FIRST_ITEM = "加装电梯协调小组"


@pytest.fixture
def meeting(world):
    """A council session chaired by the party secretary, live, with two items; the verified
    resident sits on the council too, so that both residents in the room may vote."""
    from communities import services as register
    from communities.roles import OrganizationKind as Kind
    from deliberation import meetings

    chair = world.cast["party_secretary"]
    council = world.orgs[Kind.COUNCIL]

    def build():
        register.appoint(world.admin, council, world.cast["resident"], "member")
        scheduled = meetings.schedule_meeting(
            chair, world.community, title="居民议事会第三次会议", kind="council",
            scheduled_at=timezone.now(), public=False,
            agenda=[(FIRST_ITEM, None), ("垃圾分类投放点", None)],
        )  # fmt: skip
        return meetings.start_meeting(chair, scheduled)

    return call(build)


def open_room(browse, name, user, meeting, *, viewport=None, projector=False):
    """One person's page on the live room (or the projector), once its first snapshot is in."""
    page = browse.page(name, user, viewport=viewport)
    path = meeting.get_absolute_url() + ("projector/" if projector else "")
    page.goto(path)
    expect(page.locator("#room.is-ready")).to_be_attached()
    expect(page.locator('[data-part="connection"]')).to_be_hidden()
    return page


def tally_shows(page, *, yes, abstain, voted, of):
    """The live tally on this page reads these numbers (bars and turnout)."""
    poll = page.locator(".live-poll", has_text=QUESTION)
    share = lambda n: round(100 * n / voted)  # noqa: E731
    expect(poll.locator(".bar__label", has_text="赞成")).to_have_text(f"赞成 {yes} ({share(yes)}%)")
    expect(poll.locator(".bar__label", has_text="弃权")).to_have_text(
        f"弃权 {abstain} ({share(abstain)}%)"
    )
    expect(poll.locator(".bar__label", has_text="反对")).to_have_text("反对 0 (0%)")
    expect(poll.locator(".live-poll__turnout")).to_have_text(f"已投票：{voted} / {of}")


def seconds(clock: str) -> int:
    """'1:58' as 118."""
    minutes, secs = clock.strip().split(":")
    return int(minutes) * 60 + int(secs)


FOCUS_RING = """el => {
    // The visible focus indicator of the focused element ('' when it shows none).
    if (el !== document.activeElement || !el.matches(':focus-visible')) return '';
    const style = getComputedStyle(el);
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) {
        return `outline ${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`;
    }
    return style.boxShadow !== 'none' ? `box-shadow ${style.boxShadow}` : '';
}"""


def focus_by_tabbing(page, target, *, limit: int = 80):
    """Press Tab until `target` (a locator, or a button's name) has the focus; every element
    the focus passes on the way must show it."""
    if isinstance(target, str):
        target = page.get_by_role("button", name=target, exact=True)
    unseen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        if not focused.evaluate(FOCUS_RING):
            unseen.append(focused.evaluate("el => el.outerHTML.slice(0, 100)"))
        focused.dispose()
        if target.evaluate("el => el === document.activeElement"):
            assert unseen == [], f"focus is invisible on the way to {target}: {unseen}"
            return target
    raise AssertionError(f"{target} was not reached in {limit} presses of Tab")


def focus_ring(locator) -> str:
    """The visible focus indicator of a focused control ('' when it has none)."""
    return locator.evaluate(FOCUS_RING)


CUT_OFF = """() => {
    // Visible elements that stick out of the viewport or of their panel sideways, or whose
    // content is wider than they are: what a phone would cut off or make scroll sideways.
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.skip-link, .visually-hidden, script, style, [hidden]')) continue;
        const style = getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden') continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
        const panel = el.parentElement.closest('.panel, .projector__grid > section');
        const frame = panel ? panel.getBoundingClientRect() : {left: 0, right: width};
        if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
            out.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)}`
                     + ` of ${Math.round(frame.left)}..${Math.round(frame.right)}`);
        } else if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
            // Content wider than its box: clipped, scrolled away or spilling out of it.
            out.push(`${name} overflows by ${el.scrollWidth - el.clientWidth}px`);
        }
    }
    return out;
}"""


def cut_off(page) -> list[str]:
    """What on the page is cut off at its width (nothing, when the page fits)."""
    return page.evaluate(CUT_OFF)


def grant(chair, user):
    """The chair gives the floor to this person, from the button on their hand in the queue."""
    queue = chair.locator('[data-part="queue"]')
    queue.get_by_role("button", name=re.compile(rf"准予.*{re.escape(str(user))}")).click()


def open_poll(chair, shots, question=QUESTION):
    """The chair puts a yes/no/abstain question to the vote from the chair's panel."""
    chair.get_by_text("提请表决", exact=True).click()
    chair.get_by_label("表决事项").fill(question)
    chair.get_by_role("button", name="发起表决").click()
    expect(chair.get_by_text("表决已开始。")).to_be_visible()
    shots.step("poll opened")


def test_a_council_meeting_runs_live_in_four_browsers(world, meeting, browse, shots):
    chair_user = world.cast["party_secretary"]
    a_user, b_user = world.cast["council_member"], world.cast["resident"]
    chair = open_room(browse, "chair", chair_user, meeting)
    a = open_room(browse, "resident-a", a_user, meeting, viewport=DESKTOP)
    b = open_room(browse, "resident-b", b_user, meeting, viewport=PHONE)
    projector = open_room(browse, "projector", world.cast["rc_director"], meeting, projector=True)
    views = {"chair": chair, "a": a, "b": b, "projector": projector}
    shots.step("everyone is in the room")

    # A raises a hand; the chair sees it in the queue and gives A the floor.
    a.get_by_role("button", name="举手").click()
    expect(a.get_by_text("您已举手。")).to_be_visible()
    queue = chair.locator('[data-part="queue"]')
    expect(queue.locator(".queue__hand")).to_have_count(1)
    expect(queue.locator(".queue__name")).to_have_text(str(a_user))
    expect(b.locator('[data-part="queue"] .queue__name')).to_have_text(str(a_user))
    shots.step("a hand is raised")
    grant(chair, a_user)

    expect(a.get_by_text("您已获得发言权")).to_be_visible()
    for page in views.values():
        expect(page.locator(".floor__name")).to_have_text(str(a_user))
        timer = page.get_by_role("timer")
        expect(timer).to_be_visible()
        expect(timer).to_contain_text(re.compile(r"[12]:\d\d"))
    expect(queue.locator(".queue__hand")).to_have_count(0)
    # The timer counts down, on every page.
    for page in views.values():
        value = page.locator(".countdown__value")
        shown = value.inner_text()
        expect(value).not_to_have_text(shown, timeout=4_000)
        assert 0 < seconds(value.inner_text()) < seconds(shown) <= 120
    shots.step("a has the floor")
    a.get_by_role("button", name="发言完毕").click()
    for page in views.values():
        expect(page.get_by_text("当前没有人发言。")).to_be_visible()

    # The chair opens a vote; both residents vote; the live tally reaches all four views.
    open_poll(chair, shots)
    # The chair of a council meeting is not a council member: told so, and offered no buttons.
    chair_poll = chair.locator(".live-poll", has_text=QUESTION)
    expect(chair_poll.get_by_text("您不在本次表决的表决范围内。")).to_be_visible()
    expect(chair_poll.locator(".vote-button")).to_have_count(0)
    expect(a.locator(".live-poll", has_text=QUESTION).locator(".vote-button")).to_have_count(3)
    a.get_by_role("button", name="赞成", exact=True).click()
    expect(a.get_by_text("您的投票已记录。")).to_be_visible()
    b.get_by_role("button", name="弃权", exact=True).click()
    expect(b.get_by_text("您的投票已记录。")).to_be_visible()
    for page in views.values():
        tally_shows(page, yes=1, abstain=1, voted=2, of=2)
    shots.step("both have voted")

    # The chair closes the vote: the result and the rule applied reach all four views.
    chair.get_by_role("button", name="结束表决并锁定结果").click()
    for page in views.values():
        poll = page.locator(".live-poll", has_text=QUESTION)
        expect(poll.locator(".verdict")).to_have_text("通过")
        expect(poll.get_by_text(re.compile(r"适用规则[:：]\s*居民议事会"))).to_be_visible()
        expect(poll.locator(".badge")).to_have_text("已结束")
        tally_shows(page, yes=1, abstain=1, voted=2, of=2)
    shots.step("the vote is closed")

    # The chair ends the meeting; the minutes are drafted from the log.
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.get_by_role("button", name="结束会议").click()
    for page in views.values():
        expect(page.locator('[data-part="status"]')).to_have_text("已结束")
        # Nobody is present any more: no "0 present, quorum not met", on the projector either.
        expect(page.get_by_text("未达法定人数")).to_be_hidden()
        expect(page.locator('[data-part="presence"]')).to_be_hidden()
    shots.step("the meeting has ended")

    # The residents' committee reads the draft minutes, then publishes them.
    minutes = projector.context.new_page()
    browse.shots.add("minutes", minutes)
    minutes.goto(meeting.get_absolute_url() + "minutes/")
    record = minutes.locator("article.minutes")
    expect(record).to_contain_text(FIRST_ITEM)
    expect(record).to_contain_text(QUESTION)
    expect(record.get_by_role("listitem").filter(has_text="发言 1 次")).to_have_text(
        # The name, then the verified role badge (a code span the page styles as a badge).
        re.compile(rf"^{re.escape(str(a_user))} 议事会成员（中立）：发言 1 次，共 0:\d\d$")
    )
    expect(record).to_contain_text(re.compile(r"赞成 1[,，]\s*反对 0[,，]\s*弃权 1"))
    expect(record).to_contain_text("应参与 2 人，实际参与 2 人")
    expect(record).to_contain_text("按居民议事会规则通过")
    shots.step("the draft minutes")
    minutes.get_by_role("button", name="发布").click()
    expect(minutes.get_by_text("会议纪要已发布。")).to_be_visible()

    # A follows the room's link to the published minutes.
    a.get_by_role("link", name="查看会议纪要").first.click()
    expect(a.locator("article.minutes")).to_contain_text(QUESTION)
    expect(a.locator("article.minutes")).to_contain_text(str(a_user))
    shots.step("the published minutes")
    for name, page in views.items():
        assert page.errors == [], (name, page.errors)


def test_a_resident_raises_a_hand_and_votes_by_keyboard_alone(world, meeting, browse, shots):
    chair = open_room(browse, "chair", world.cast["party_secretary"], meeting)
    resident = open_room(browse, "resident", world.cast["council_member"], meeting)

    # The side: Tab reaches the group at its checked choice, an arrow key moves it.
    neutral = focus_by_tabbing(resident, resident.get_by_role("radio", name="中立"))
    assert focus_ring(neutral), "the focused side choice shows no focus indicator"
    resident.keyboard.press("ArrowLeft")
    against = resident.get_by_role("radio", name="反对方")
    expect(against).to_be_checked()
    expect(against).to_be_focused()
    assert focus_ring(against)
    raise_hand = focus_by_tabbing(resident, "举手")
    assert focus_ring(raise_hand), "the focused 举手 button shows no focus indicator"
    resident.keyboard.press("Enter")
    expect(resident.get_by_text("您已举手。")).to_be_visible()
    expect(resident.locator('[data-part="hand"] .side')).to_have_text("反对方")
    # The button became 放下手 and kept the focus, still visibly.
    lower = resident.get_by_role("button", name="放下手")
    expect(lower).to_be_focused()
    assert focus_ring(lower)
    hand = chair.locator('[data-part="queue"] .queue__hand')
    expect(hand.locator(".queue__name")).to_have_text(str(world.cast["council_member"]))
    expect(hand.locator(".side")).to_have_text("反对方")
    shots.step("hand raised by keyboard")

    open_poll(chair, shots)
    yes = focus_by_tabbing(resident, "赞成")
    assert focus_ring(yes), "the focused 赞成 button shows no focus indicator"
    resident.keyboard.press("Space")
    expect(resident.get_by_text("您的投票已记录。")).to_be_visible()
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(yes).to_be_focused()
    assert focus_ring(yes)
    expect(chair.locator(".live-poll__turnout")).to_have_text("已投票：1 / 2")
    shots.step("voted by keyboard")
    assert resident.errors == [] and chair.errors == []


def test_the_room_and_the_projector_fit_a_phone(world, meeting, browse, shots):
    chair = open_room(browse, "chair", world.cast["party_secretary"], meeting, viewport=PHONE)
    a = open_room(browse, "resident-a", world.cast["council_member"], meeting)
    phone = open_room(browse, "phone", world.cast["resident"], meeting, viewport=PHONE)
    projector = open_room(
        browse, "projector", world.cast["rc_director"], meeting,
        viewport=PHONE, projector=True,
    )  # fmt: skip

    # A queue, chat lines (one a long unbroken link) and an open vote with a long question.
    a.get_by_role("button", name="举手").click()
    phone.get_by_role("button", name="举手").click()
    expect(chair.locator('[data-part="queue"] .queue__hand')).to_have_count(2)
    long_link = "https://lianhua.example.cn/notice?elevator=" + "0123456789" * 10
    for text in ("三号楼的加装电梯方案已经公示了吗？", long_link):
        box = phone.get_by_label("消息（不超过 2000 字）")
        box.fill(text)
        phone.get_by_role("button", name="发送").click()
        expect(phone.locator(".chat__line").last).to_contain_text(text[:20])
        expect(box).to_have_value("")  # acknowledged: the form is ready for the next line
    grant(chair, world.cast["council_member"])
    long_question = QUESTION + "（含一号楼、二号楼、三号楼的加装电梯工程，费用按楼层分摊）"
    open_poll(chair, shots, long_question)
    expect(phone.get_by_role("button", name="赞成", exact=True)).to_be_visible()
    expect(projector.locator(".live-poll__question")).to_have_text(long_question)
    expect(projector.get_by_role("timer")).to_be_visible()
    expect(phone.locator('[data-part="queue"] .queue__hand')).to_have_count(1)
    shots.step("a busy room on a phone")

    for name, page in (("room", phone), ("chair's room", chair), ("projector", projector)):
        assert no_horizontal_scroll(page) == 0, f"the {name} scrolls sideways on a phone"
        assert cut_off(page) == [], f"the {name} cuts things off on a phone"
    assert phone.errors == [] and chair.errors == [] and projector.errors == []


def hold_acks(page, message_type: str):
    """Route the page's room socket through the test, holding back the acks of messages of
    this type: the returned list gets them, and `release()` lets the oldest one through."""
    ids, held, sockets = set(), [], []

    def between(socket):
        server = socket.connect_to_server()
        sockets.append(socket)

        def to_page(message):
            frame = json.loads(message)
            if frame.get("type") == "ack" and frame.get("id") in ids:
                held.append(message)
            else:
                socket.send(message)

        def to_server(message):
            frame = json.loads(message)
            if frame.get("type") == message_type:
                ids.add(frame["id"])
            server.send(message)

        server.on_message(to_page)
        socket.on_message(to_server)

    page.route_web_socket(re.compile(r".*/ws/meetings/.*"), between)

    def release():
        sockets[-1].send(held.pop(0))

    return held, release


def test_a_line_typed_before_the_last_one_is_acknowledged_is_kept(world, meeting, browse, shots):
    """The room sends a chat line's event to everyone and its ack to the sender separately; the
    ack may come last. Whatever the sender has begun typing by then must not be wiped."""
    page = browse.page("resident", world.cast["council_member"])
    held, release = hold_acks(page, "chat.send")
    page.goto(meeting.get_absolute_url())
    expect(page.locator("#room.is-ready")).to_be_attached()
    box = page.get_by_label("消息（不超过 2000 字）")
    box.fill("第一句")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".chat__line").last).to_contain_text("第一句")  # its event is in
    box.fill("第二句还没写完")
    shots.step("the next line begun before the ack")
    assert len(held) == 1
    release()
    expect(page.get_by_role("button", name="发送")).not_to_have_attribute("aria-disabled", "true")
    expect(box).to_have_value("第二句还没写完")
    shots.step("the ack arrived; the new text stays")


def test_a_question_typed_before_the_last_poll_is_acknowledged_is_kept(
    world, meeting, browse, shots
):
    chair = browse.page("chair", world.cast["party_secretary"])
    held, release = hold_acks(chair, "poll.open")
    chair.goto(meeting.get_absolute_url())
    expect(chair.locator("#room.is-ready")).to_be_attached()
    chair.get_by_text("提请表决", exact=True).click()
    question = chair.get_by_label("表决事项")
    question.fill(QUESTION)
    chair.get_by_role("button", name="发起表决").click()
    expect(chair.locator(".live-poll", has_text=QUESTION)).to_be_visible()  # its event is in
    question.fill("下一项表决，还在起草")
    assert len(held) == 1
    release()
    expect(chair.get_by_text("表决已开始。")).to_be_visible()
    expect(question).to_have_value("下一项表决，还在起草")
    shots.step("the poll opened; the next question stays")


def suggest_next(page, user_id: int):
    """Route the page's room socket through the test, which says `next_speaker` is this user in
    the snapshot and in every hand.raised event: what the server decides (docs/protocol.md)."""

    def between(socket):
        server = socket.connect_to_server()

        def to_page(message):
            frame = json.loads(message)
            numbered = frame.get("type") in ("event", "events")
            events = frame.get("events", [frame]) if numbered else []
            if frame.get("type") == "snapshot":
                frame["next_speaker"] = user_id
            for event in events:
                if event["kind"] == "hand.raised":
                    event["data"]["next_speaker"] = user_id
            socket.send(json.dumps(frame, ensure_ascii=False))

        server.on_message(to_page)
        socket.on_message(lambda message: server.send(message))

    page.route_web_socket(re.compile(r".*/ws/meetings/.*"), between)


def test_the_chair_sees_the_next_speaker_the_server_suggests(world, meeting, browse, shots):
    """Only the server's `next_speaker` is marked: here the second hand up, which no rule of the
    page's own would have picked (both hands neutral, the first one earlier)."""
    first, second = world.cast["council_member"], world.cast["resident"]
    chair = browse.page("chair", world.cast["party_secretary"], viewport=PHONE)
    suggest_next(chair, second.pk)
    chair.goto(meeting.get_absolute_url())
    expect(chair.locator("#room.is-ready")).to_be_attached()
    a = open_room(browse, "first", first, meeting)
    b = open_room(browse, "second", second, meeting)
    a.get_by_role("button", name="举手").click()
    expect(a.get_by_text("您已举手。")).to_be_visible()
    b.get_by_role("button", name="举手").click()
    expect(b.get_by_text("您已举手。")).to_be_visible()

    hands = chair.locator('[data-part="queue"] .queue__hand')
    expect(hands).to_have_count(2)
    suggested = chair.locator(".queue__hand--next")
    expect(suggested).to_have_count(1)
    expect(suggested.locator(".queue__name")).to_have_text(str(second))
    expect(suggested.get_by_text("建议下一位")).to_be_visible()
    expect(hands.first.locator(".badge--next")).to_have_count(0)
    # Residents see the queue, not the chair's suggestion.
    expect(a.locator('[data-part="queue"] .queue__hand')).to_have_count(2)
    expect(a.locator(".queue__hand--next")).to_have_count(0)
    shots.step("the chair sees the server's suggestion")
    assert chair.errors == [] and a.errors == [] and b.errors == []


def test_the_suggestion_alternates_sides_and_survives_a_reload(world, meeting, browse, shots):
    """The server's rule, end to end: after a speech in favour, the earliest hand against is
    suggested, though a hand in favour was raised before it; a chair who reloads the page is
    told the same (the page no longer remembers the last side itself)."""
    first, second, against = (world.cast[n] for n in ("council_member", "resident", "owner"))
    chair = open_room(browse, "chair", world.cast["party_secretary"], meeting, viewport=PHONE)
    for name, user, side in (("first", first, "赞成方"), ("second", second, "赞成方")) + (
        ("against", against, "反对方"),
    ):
        page = open_room(browse, name, user, meeting)
        page.get_by_role("radio", name=side).check()
        page.get_by_role("button", name="举手").click()
        expect(page.get_by_text("您已举手。")).to_be_visible()
    queue = chair.locator('[data-part="queue"]')
    expect(queue.locator(".queue__hand")).to_have_count(3)
    expect(chair.locator(".queue__hand--next .queue__name")).to_have_text(str(first))
    grant(chair, first)
    expect(queue.locator(".queue__hand")).to_have_count(2)
    expect(chair.locator(".queue__hand--next .queue__name")).to_have_text(str(against))
    shots.step("after a speech in favour, the hand against is suggested")
    chair.reload()
    expect(chair.locator("#room.is-ready")).to_be_attached()
    expect(chair.locator(".queue__hand--next .queue__name")).to_have_text(str(against))
    shots.step("the same after a reload")
    assert chair.errors == []


def test_badges_come_from_positions_not_from_names(world, meeting, browse, shots):
    """The real party secretary shows a 党委书记 badge in the queue, on the floor and in the
    chat; a resident who calls themself "党委书记 <b class="role-badge">王书记</b>" shows their
    name as typed, as text, and no badge; on a 390 px phone nothing is cut off."""
    from communities import services as register

    chair_user = world.cast["party_secretary"]
    impostor_name = '党委书记 <b class="role-badge">王书记</b>'

    def people():
        register.rename(chair_user, chair_user, "王书记")
        chair_user.refresh_from_db()
        impostor = register.sign_up(
            username="impostor", password="correct-horse-battery", display_name=impostor_name
        )
        membership = register.request_membership(impostor, world.community, address="1栋201")
        register.verify_membership(world.admin, membership)
        return impostor

    impostor_user = call(people)
    chair = open_room(browse, "chair", chair_user, meeting)
    phone = open_room(browse, "impostor", impostor_user, meeting, viewport=PHONE)

    phone.get_by_role("button", name="举手").click()
    expect(phone.get_by_text("您已举手。")).to_be_visible()
    chair.get_by_role("button", name="举手").click()
    for page in (chair, phone):
        hands = page.locator('[data-part="queue"] .queue__hand')
        expect(hands).to_have_count(2)
        fake = hands.filter(has_text="党委书记 <b")
        expect(fake.locator(".queue__name")).to_have_text(impostor_name)  # text, not markup
        expect(fake.locator(".role-badge")).to_have_count(0)
        real = hands.filter(has=page.locator(".queue__name", has_text=re.compile("^王书记$")))
        expect(real.locator(".role-badge")).to_have_text("已核实职务： 党委书记")
    shots.step("badges in the queue")

    phone.get_by_label("消息（不超过 2000 字）").fill("我是书记")
    phone.get_by_role("button", name="发送").click()
    chair.get_by_label("消息（不超过 2000 字）").fill("请按顺序发言")
    chair.get_by_role("button", name="发送").click()
    lines = phone.locator(".chat__line")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="我是书记").locator(".role-badge")).to_have_count(0)
    expect(lines.filter(has_text="请按顺序发言").locator(".role-badge")).to_contain_text("党委书记")

    # The chair's button names the verified role too, for those who hear the page.
    queue = chair.locator('[data-part="queue"]')
    queue.get_by_role("button", name="准予发言：王书记（已核实职务：党委书记）").click()
    for page in (chair, phone):
        floor = page.locator('[data-part="floor"]')
        expect(floor.locator(".floor__name")).to_have_text("王书记")
        expect(floor.locator(".role-badge")).to_contain_text("党委书记")
    shots.step("badges on the floor and in the chat")
    assert no_horizontal_scroll(phone) == 0
    assert cut_off(phone) == []
    assert chair.errors == [] and phone.errors == []

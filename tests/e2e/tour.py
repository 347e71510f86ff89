"""A tour of the main pages, shared by the accessibility and language checks.

- `build_scene` fills the test community with what those pages show: a council motion with a
  closed vote, a resolution, a comment and a position; a live council session on it with a vote
  open, chat lines and a raised hand. Every person has a Chinese name, as on a real site.
- `PAGES` and `VIEWERS` say which pages the tour visits and as whom; `visit` opens one and waits
  until it has rendered (for the live room, until the socket's snapshot is drawn).
- `user_data` lists every string on those pages that people typed or named, so that the check
  for untranslated words (`untranslated`, fed by `COLLECT_JS`) can take them out first.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from communities import services as register
from communities.models import Community, Estate, Membership, Organization
from deliberation import meetings, services
from deliberation.models import (
    AgendaItem,
    ChatMessage,
    Choice,
    Comment,
    ImplementationUpdate,
    Matter,
    Meeting,
    Poll,
    Resolution,
    Stance,
    Transition,
)
from tests import walks
from tests.e2e.conftest import TIMEOUT_MS

Kind = Organization.Kind

# The scene's words, in Chinese as residents would write them.
MATTER_TITLE = "修缮三号楼雨棚"
MEETING_TITLE = "居民议事会第三次会议"
SECOND_ITEM = "垃圾分类投放点"
POLL_QUESTION = "是否成立雨棚维修监督小组？"
CHAT_LINES = ("雨棚的事拖了很久了。", "同意先成立监督小组。")
COMMENT = "雨棚下面的路灯也坏了，请一并修理。"
STANCE = "物业同意配合施工，费用按规定列支。"
CONCERNS = ("五栋门禁坏了", "二单元楼道灯不亮")
ASSEMBLY_TITLE = "二〇二六年居民会议"
NAMES = {
    "party_secretary": "陈志明",
    "rc_director": "李秀英",
    "ws_staff": "王磊",
    "pm_manager": "赵国庆",
    "oc_chair": "孙丽华",
    "so_member": "周敏",
    "council_member": "刘建华",
    "street_officer": "吴涛",
    "district_officer": "郑洁",
    "resident": "张伟",
    "owner": "黄丽",
    "unverified": "何强",
    "outsider": "林峰",
}

PAGES = (
    "home", "ledger", "matter", "room", "projector", "login", "party_roll", "verification",
    "inbox", "walk_in", "password_reset", "deliveries",
    "checkin", "my_code",
)  # fmt: skip
# Who looks at each page: a visitor (None) wherever the page lets one in, and a resident signed
# in; in the live room also the chair, who sees the chair's controls. The sign-in page is for
# visitors only.
VIEWERS = {
    "home": (None, "resident"),
    "ledger": (None, "resident"),
    "matter": (None, "resident"),
    "room": (None, "party_secretary", "resident"),
    "projector": (None, "resident"),
    "login": (None,),
    "party_roll": ("party_secretary",),  # kept by the party committee's secretaries only
    "verification": ("ws_staff",),  # staff only: two requests under one name at one flat
    # 待我处理: the resident has a live meeting, a meeting to come and a response to rate; the
    # workstation's staff a concern to handle.
    "inbox": ("resident", "ws_staff"),
    "walk_in": ("ws_staff",),  # the workstation's counter, staff only
    "password_reset": (None,),
    "deliveries": ("party_secretary",),  # the responsible body only: who the vote's notice reached
    "checkin": ("party_secretary",),  # the chair's check-in at the door
    "my_code": ("council_member",),  # an invitee of the council session: a council member
}
LIVE = ("room", "projector")


@dataclass(frozen=True)
class Scene:
    reference: str
    meeting: int

    def path(self, name: str) -> str:
        return {
            "home": "/",
            "ledger": "/c/lianhua/ledger/",
            "matter": f"/c/lianhua/m/{self.reference}/",
            "room": f"/meetings/{self.meeting}/",
            "projector": f"/meetings/{self.meeting}/projector/",
            "login": "/accounts/login/",
            "party_roll": "/c/lianhua/party-roll/",
            "verification": "/c/lianhua/verification/",
            "inbox": "/todo/",
            "walk_in": "/c/lianhua/walk-in/",
            "password_reset": "/accounts/password-reset/",
            "deliveries": f"/c/lianhua/m/{self.reference}/notices/poll_opened/",
            "checkin": f"/meetings/{self.meeting}/check-in/",
            "my_code": f"/meetings/{self.meeting}/my-code/",
        }[name]


def build_scene(world) -> Scene:
    """The matter and the live meeting of the tour (run it through `call`)."""
    cast, orgs = world.cast, world.orgs
    # Test data: people's names as they would be on a real site (there is no service for it).
    users = get_user_model().objects
    for username, name in NAMES.items():
        users.filter(username=username).update(display_name=name)
    users.filter(pk=world.admin.pk).update(display_name="系统管理员")
    for person in cast.values():
        person.refresh_from_db(fields=["display_name"])
    matter = walks.propose(
        world, walks.COUNCIL, title=MATTER_TITLE, stakeholders=[orgs[Kind.PROPERTY_MANAGEMENT]]
    )
    services.post_comment(cast["resident"], matter, body=COMMENT)
    services.state_stance(
        cast["pm_manager"],
        matter,
        orgs[Kind.PROPERTY_MANAGEMENT],
        position="support",
        statement=STANCE,
    )
    matter = walks.walk_to(world, matter, "implementation")
    meeting = meetings.schedule_meeting(
        cast["party_secretary"],
        world.community,
        title=MEETING_TITLE,
        kind="council",
        scheduled_at=timezone.now(),
        place="社区党群服务中心二楼",
        agenda=[(MATTER_TITLE, matter), (SECOND_ITEM, None)],
    )
    meeting = meetings.start_meeting(cast["party_secretary"], meeting)
    # The matter is being carried out: it has no vote to hold. The motion is the second item.
    second = meeting.items.get(title=SECOND_ITEM)
    meeting = meetings.goto_item(cast["party_secretary"], meeting, second.pk)
    meetings.open_poll(cast["party_secretary"], meeting, question=POLL_QUESTION)
    for who, line in zip(("council_member", "resident"), CHAT_LINES, strict=True):
        meetings.send_chat(cast[who], meeting, line)
    meetings.raise_hand(cast["council_member"], meeting, "pro")
    # 待我处理: a concern the workstation handles, one it has answered for the resident to rate,
    # and a residents' meeting to come.
    walks.propose(world, walks.CONCERN, title=CONCERNS[0])
    walks.leave(world, walks.propose(world, walks.CONCERN, title=CONCERNS[1]))
    meetings.schedule_meeting(
        cast["rc_director"], world.community, title=ASSEMBLY_TITLE, kind="residents",
        scheduled_at=timezone.now() + timedelta(days=7), place="社区党群服务中心",
        agenda=[(SECOND_ITEM, None)],
    )  # fmt: skip
    # The verification queue: 何强 (the cast's "unverified", at 1栋101) asks a second time under
    # another login, and a newcomer gives an address the register has no unit for.
    twice = users.create_user(username="heqiang", display_name=NAMES["unverified"])
    register.request_membership(twice, world.community, address="1栋101室")
    stranger = users.create_user(username="lifang", display_name="李芳")
    register.request_membership(stranger, world.community, address="莲花路8号")
    return Scene(reference=matter.reference, meeting=meeting.pk)


def visit(page, scene: Scene, name: str, *, signed_in: bool) -> None:
    """Open one page of the tour and wait until it has rendered."""
    page.goto(scene.path(name))
    settle(page, name, signed_in=signed_in)


def settle(page, name: str, *, signed_in: bool) -> None:
    """Wait until a page of the tour has rendered what it will show."""
    from playwright.sync_api import expect

    if name == "deliveries":  # the list itself, not a 404 page
        expect(page.locator("li.delivery").first).to_be_visible()
    if name not in LIVE:
        expect(page.locator("main h1, #room h1").first).to_be_visible()
        return
    if not signed_in:
        # The socket is for people signed in; visitors get the way to sign in instead.
        expect(page.locator("[data-part=connection]")).to_be_visible()
        return
    expect(page.locator("#room.is-ready")).to_be_attached(timeout=TIMEOUT_MS * 2)
    expect(page.locator("[data-part=polls]")).to_contain_text(POLL_QUESTION)
    if name == "room":
        expect(page.locator("[data-part=chat-log] li[data-id]")).to_have_count(len(CHAT_LINES))


def room_text(language: str, key: str, **values) -> str:
    """A string of the live room (deliberation/room_strings.py) as the room shows it."""
    from django.utils import translation

    from deliberation.room_strings import ROOM_STRINGS

    with translation.override(language):
        text = str(ROOM_STRINGS[key])
    return text % values if values else text


def chair_acts(page, language: str) -> None:
    """In the chair's room: give the floor to the raised hand and close the vote, so that the
    room shows a speaker, the countdown and a frozen result too."""
    from playwright.sync_api import expect

    speaker = NAMES["council_member"]
    page.get_by_role("button", name=room_text(language, "grant_label", name=speaker)).click()
    expect(page.locator("[data-part=floor] .floor__name")).to_have_text(speaker)
    page.get_by_role("button", name=room_text(language, "poll_close")).click()
    expect(page.locator("[data-part=polls] .verdict")).to_be_visible()


def user_data() -> list[str]:
    """Every string in the database that people typed or named, longest first."""
    found: set[str] = set()

    def add(*values):
        for value in values:
            if value:
                found.update(part.strip() for part in str(value).splitlines() if part.strip())

    for user in get_user_model().objects.all():
        # The display name; staff pages that keep registers (the party roll) also show the
        # user name, which is what people typed to sign up.
        add(str(user), f"@{user.username}")
    for community in Community.objects.all():
        add(community.name, community.city, community.district, community.street)
    for membership in Membership.objects.exclude(address=""):
        add(membership.address)
    for model, fields in (
        (Estate, ["name"]),
        (Organization, ["name"]),
        (Matter, ["title", "body", "reference"]),
        (Comment, ["body"]),
        (Stance, ["statement"]),
        (Resolution, ["text", "reference"]),
        (ImplementationUpdate, ["text"]),
        (Poll, ["question"]),
        (Choice, ["label"]),
        (Meeting, ["title", "place"]),
        (AgendaItem, ["title"]),
        (ChatMessage, ["text"]),
        (Transition, ["note"]),
    ):
        for row in model.objects.values_list(*fields):
            add(*row)
    return sorted(found, key=len, reverse=True)


# What the language check reads on a page: the text a reader sees, with every <details> opened
# (a reader can open them), and what assistive technology reads out or the stylesheet shows:
# aria-label, placeholder, title, alt, the ledger's data-label (its column names on phones),
# option labels, button values, SVG titles and text, and the document's title. `root` may be a
# selector, to read one fragment.
COLLECT_JS = """
(selector) => {
  const root = selector ? document.querySelector(selector) : document.body;
  for (const d of root.querySelectorAll('details')) d.open = true;
  const out = [root.innerText];
  if (!selector) out.push(document.title);
  const attrs = ['aria-label', 'aria-description', 'placeholder', 'title', 'alt', 'data-label'];
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (el.closest('script, style, template, noscript')) continue;
    for (const a of attrs) if (el.hasAttribute(a)) out.push(el.getAttribute(a));
    if (el.matches('option, svg title, svg desc, svg text')) out.push(el.textContent);
    if (el.matches('input[type=submit], input[type=button], input[type=reset]')) out.push(el.value);
  }
  return out.filter(Boolean);
}
"""

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Reference numbers: matters (LH-2026-0007) and resolutions (LH-R-2026-001).
REFERENCE = re.compile(r"\b[A-Z]{1,8}(?:-[A-Z]{1,8})*-\d{4}-\d+\b")
# Addresses (the projector's link to join the room) and check-in codes (12-345-ABCDEFGHJK).
ADDRESS = re.compile(r"https?://\S+")
CHECKIN_CODE = re.compile(r"\b\d+-\d+-[A-Z2-7]{10}\b")
# On English pages a Chinese term may follow its English name as a gloss, in parentheses:
# "Public ledger of matters (台账)", "Owners' joint decision (业主共同决定, Civil Code Art. 278)".
GLOSS = re.compile(r"(?<=[A-Za-z.'’] )[(（][\u3400-\u9fff]+(?=[,，)）])")
# Words the same in every language: the product's name and mark, the languages' names in the
# switcher (each in its own language), and names of file formats.
NOT_TRANSLATED = {
    "zh-hans": ("Gongzhi", "English", "Markdown", "CSV", "PDF"),
    "en": ("共治", "简体中文", "中文"),
}


def untranslated(texts, language: str, data=()) -> list[str]:
    """Words in `texts` that are not in `language` (Latin words on a Chinese page, Chinese
    characters on an English page) once user data, reference numbers, glosses and the few words
    that are never translated are taken out; each with a little of the text around it."""
    findings = []
    for text in texts:
        for value in data:
            text = text.replace(value, " ")
        text = REFERENCE.sub(" ", text)
        text = CHECKIN_CODE.sub(" ", ADDRESS.sub(" ", text))
        if language == "en":
            text = GLOSS.sub(" ", text)
        for word in NOT_TRANSLATED[language]:
            text = text.replace(word, " ")
        for match in (HAN if language == "en" else LATIN_WORD).finditer(text):
            around = " ".join(text[max(0, match.start() - 30) : match.end() + 30].split())
            findings.append(f"{match.group()!r} in {around!r}")
    return findings

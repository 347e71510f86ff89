"""Verified role badges (communities.badges) beside the names of people who speak: on comments,
stances, the live room (its snapshot and its events) and the minutes. A badge comes from the
positions a person holds, never from their name: a resident who calls themself "党委书记 王书记",
or copies the secretary's name, shows none; the real secretary shows one.

Each attack also runs against weakened builds, where it must get through: one that reads titles
from names ("names"), one that shows no badges at all ("none").
"""

from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from communities import roles, services
from communities.badges import Badge, badges_for
from communities.models import Organization
from deliberation import meetings
from deliberation.meetings import minutes as minutes_module
from deliberation.meetings import room as room_module
from deliberation.models import MeetingEvent
from deliberation.text import render_markdown
from deliberation.views import matter_page
from tests.factories import make_user
from tests.walks import FOUR, propose

Kind = Organization.Kind
OFFICIAL_NAME = "王书记"
IMPOSTOR_NAME = "党委书记 王书记"
SECRETARY = "party_committee.secretary"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def people(world):
    """The real secretary, renamed 王书记; a resident named 党委书记 王书记; a resident who copied
    the secretary's name exactly."""
    secretary = world.cast["party_secretary"]
    services.rename(secretary, secretary, OFFICIAL_NAME)
    impostor = make_user("impostor", display_name=IMPOSTOR_NAME)
    copycat = make_user("copycat", display_name=OFFICIAL_NAME)
    for person in (impostor, copycat):
        membership = services.request_membership(person, world.community, address="1栋")
        services.verify_membership(world.admin, membership)
    return {"secretary": secretary, "impostor": impostor, "copycat": copycat}


def weakened_badges(how):
    """A stand-in for badges_for in a weakened build."""

    def from_names(community_id, user_ids, **kwargs):
        from communities.models import User

        return {
            u.pk: [Badge(SECRETARY, "党委")]
            for u in User.objects.filter(pk__in=list(user_ids))
            if "书记" in u.display_name
        }

    def none(community_id, user_ids, **kwargs):
        return {}

    return {"names": from_names, "none": none}[how]


WEAKENED = [None, "names", "none"]
IDS = ["guarded", "weakened-names", "weakened-none"]


def expect(check, weakened):
    """Run the check; a weakened build must make it fail."""
    if weakened is None:
        check()
    else:
        with pytest.raises(AssertionError):
            check()


def test_every_title_of_every_kind_of_body_has_a_badge():
    policy_roles = {
        roles.position_role(kind, title)
        for kind in Organization.Kind.values
        for title in roles.titles_for(kind)
    }
    assert policy_roles == set(roles.BADGE_LABELS)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels = [str(roles.badge_label(role)) for role in policy_roles]
            assert all(labels) and len(set(labels)) == len(labels)
    with translation.override("zh-hans"):
        assert str(roles.badge_label(SECRETARY)) == "党委书记"
        assert str(roles.badge_label("residents_committee.director")) == "居委会主任"


def test_it_reads_badges_from_positions_only(world, people):
    found = badges_for(world.community.pk, [p.pk for p in people.values()])
    assert found == {people["secretary"].pk: [Badge(SECRETARY, "莲花社区党委")]}


def test_it_puts_heads_first_and_forgets_ended_positions(world):
    person = world.cast["council_member"]
    services.appoint(world.admin, world.orgs[Kind.PARTY_COMMITTEE], person, "member")
    codes = [b.role for b in badges_for(world.community.pk, [person.pk])[person.pk]]
    assert codes == ["party_committee.member", "council.member"]
    position = person.positions.get(organization=world.orgs[Kind.PARTY_COMMITTEE])
    services.end_position(world.admin, position)
    codes = [b.role for b in badges_for(world.community.pk, [person.pk])[person.pk]]
    assert codes == ["council.member"]
    # Badges belong to the community whose bodies the person serves in.
    assert badges_for(world.community.pk + 1000, [person.pk]) == {}


# The matter page: comments and stances ----------------------------------------------------


class People(HTMLParser):
    """Every person a page shows (`includes/person.html`): their name, and the badges beside it
    as a reader sees them (without the screen readers' "verified role:")."""

    def __init__(self):
        super().__init__()
        self.people: list[tuple[str, list[str]]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "span":
            return
        classes = (dict(attrs).get("class") or "").split()
        role = next((c for c in ("person", "person__name", "role-badge") if c in classes), "")
        role = role or ("hidden" if "visually-hidden" in classes else "")
        if role == "person":
            self.people.append(("", []))
        elif role == "role-badge":
            self.people[-1][1].append("")
        self.stack.append(role)

    def handle_endtag(self, tag):
        if tag == "span" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if "person" not in self.stack or "hidden" in self.stack:
            return
        name, badges = self.people[-1]
        if self.stack[-1] == "person__name":
            self.people[-1] = (name + data, badges)
        elif self.stack[-1] == "role-badge":
            badges[-1] += data


def badges_beside(page: str, name: str) -> list[list[str]]:
    """For each place the page shows `name` as a person, the badges beside it."""
    parser = People()
    parser.feed(page)
    return [badges for shown, badges in parser.people if shown == name]


@pytest.mark.parametrize("weakened", WEAKENED, ids=IDS)
def test_comments_show_the_badge_of_the_official_only(client, world, people, monkeypatch, weakened):
    social = world.orgs[Kind.SOCIAL_ORGANIZATION]
    matter = propose(world, FOUR, stakeholders=[social])
    from deliberation import services as deliberation

    for who in ("secretary", "impostor", "copycat"):
        deliberation.post_comment(people[who], matter, body=f"{who} 的意见")
    deliberation.state_stance(
        world.cast["so_member"], matter, social, position="support", statement="支持"
    )
    if weakened:
        monkeypatch.setattr(matter_page, "badges_for", weakened_badges(weakened))
    page = client.get(matter.get_absolute_url()).content.decode()

    def check():
        # 王书记 is the secretary (the proposer, in the timeline, a comment) and the copycat.
        beside_official = badges_beside(page, OFFICIAL_NAME)
        assert beside_official.count([]) == 1  # the copycat's comment
        assert beside_official.count(["党委书记"]) == len(beside_official) - 1 >= 3
        assert badges_beside(page, IMPOSTOR_NAME) == [[]]
        # The stance's author shows their own badge beside their name.
        assert ["社会组织成员"] in badges_beside(page, "so_member")

    expect(check, weakened)


def test_a_name_cannot_draw_a_badge_on_the_page(client, world):
    resident = world.cast["resident"]
    services.rename(resident, resident, '<span class="role-badge">党委书记</span>')
    from deliberation import services as deliberation

    matter = propose(world, FOUR)
    deliberation.post_comment(resident, matter, body="看我的名字")
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "&lt;span class=&quot;role-badge&quot;&gt;党委书记&lt;/span&gt;" in page
    assert badges_beside(page, '<span class="role-badge">党委书记</span>') == [[]]


# The live room ----------------------------------------------------------------------------


@pytest.fixture
def room(world, people):
    chair = people["secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="居民议事会", kind="council",
        scheduled_at=timezone.now(), agenda=[("加装电梯", None)],
    )  # fmt: skip
    meeting = meetings.start_meeting(chair, meeting)
    for who in ("impostor", "copycat"):
        meetings.join(people[who], meeting)
        meetings.raise_hand(people[who], meeting)
        meetings.send_chat(people[who], meeting, f"{who} 发言")
    meetings.join(chair, meeting)
    meetings.send_chat(chair, meeting, "请大家有序发言")
    meetings.raise_hand(chair, meeting)
    return meeting


def by_name(rows):
    return sorted((row["name"], row["badges"]) for row in rows)


@pytest.mark.parametrize("weakened", WEAKENED, ids=IDS)
def test_the_room_sends_badges_from_positions_only(world, people, room, monkeypatch, weakened):
    if weakened:
        monkeypatch.setattr(room_module, "badges_for", weakened_badges(weakened))
    snapshot = meetings.snapshot(room, people["secretary"])

    def check():
        expected = sorted([(OFFICIAL_NAME, []), (OFFICIAL_NAME, [SECRETARY]), (IMPOSTOR_NAME, [])])
        assert by_name(snapshot["queue"]) == expected
        assert by_name(snapshot["chat"]) == expected
        assert by_name(snapshot["present"]) == expected
        assert snapshot["meeting"]["chair_badges"] == [SECRETARY]

    expect(check, weakened)


def test_the_rooms_events_carry_badges_from_positions_only(world, people, room):
    meetings.grant_floor(people["secretary"], room, people["secretary"].pk)
    events = MeetingEvent.objects.filter(meeting=room)
    rows = [e.data for e in events if e.kind in ("hand.raised", "chat.message")]
    assert by_name(rows) == sorted(
        [(OFFICIAL_NAME, []), (IMPOSTOR_NAME, [])] * 2 + [(OFFICIAL_NAME, [SECRETARY])] * 2
    )
    granted = events.get(kind="floor.granted").data
    assert (granted["name"], granted["badges"]) == (OFFICIAL_NAME, [SECRETARY])
    speaker = meetings.snapshot(room, people["impostor"])["speaker"]
    assert (speaker["name"], speaker["badges"]) == (OFFICIAL_NAME, [SECRETARY])


def test_the_room_and_the_meeting_list_show_the_chairs_badge(client, world, people, room):
    client.force_login(people["impostor"])
    for url in (room.get_absolute_url(), f"/c/{world.community.slug}/meetings/"):
        page = client.get(url).content.decode()
        assert '<span class="visually-hidden">已核实职务： </span>党委书记</span>' in page, url


def test_the_room_words_every_badge_code_it_may_be_sent(rf):
    from deliberation.room_strings import ROOM_STRINGS

    assert {f"badge_{role}" for role in roles.BADGE_LABELS} <= set(ROOM_STRINGS)


# Minutes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("weakened", WEAKENED, ids=IDS)
def test_minutes_mark_the_official_and_escape_every_name(
    world, people, room, monkeypatch, weakened
):
    mocker = make_user("mocker", display_name="李四 `党委书记`")
    membership = services.request_membership(mocker, world.community, address="1栋")
    services.verify_membership(world.admin, membership)
    meetings.join(mocker, room)
    if weakened:
        monkeypatch.setattr(minutes_module, "badges_for", weakened_badges(weakened))
    meetings.end_meeting(people["secretary"], room)
    text = room.minutes.text
    html = render_markdown(text)

    def check():
        assert f"- {OFFICIAL_NAME} `党委书记` (" in text  # the secretary
        assert f"- {OFFICIAL_NAME} (" in text  # the copycat, no badge
        assert f"- {IMPOSTOR_NAME} (" in text
        assert "李四 \\`党委书记\\`" in text  # a name cannot make a code span
        assert html.count("<code>党委书记</code>") == 2  # the chair line and the attendance

    expect(check, weakened)

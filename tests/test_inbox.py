"""待我处理: each list of the inbox with a person who should see the row and one who should not
(a voter who voted, another community's member, a demoted staff member), the header's count and
its cost in queries, the landing page after sign-in, and the empty states."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from communities import services as register
from communities.models import Organization, Position
from deliberation import inbox, meetings, services
from deliberation.models import Poll
from deliberation.services.ballots import has_voted
from tests import factories
from tests.factories import PASSWORD
from tests.walks import CONCERN, FOUR, elapse, fresh, leave, propose, walk_to

Kind = Organization.Kind


@pytest.fixture(autouse=True)
def english(client):
    """English, in the test and in the pages the client asks for."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def elsewhere(world):
    """A verified resident and a workstation officer of another community."""
    community, _estate, orgs = factories.make_community(
        world.admin, slug="meilin", code="ML", name="梅林社区"
    )
    resident = factories.make_user("meilin_resident")
    register.request_membership(resident, community, address="1栋102")
    register.verify_membership(world.admin, resident.memberships.get())
    staff = factories.make_user("meilin_staff")
    register.appoint(world.admin, orgs[Kind.WORKSTATION], staff, "staff")
    return {"resident": resident, "staff": staff}


def residents_poll(world, **options):
    """An open residents' poll on a 四议两公开 matter at its decision stage."""
    matter = walk_to(world, propose(world, FOUR), "decision")
    return services.create_poll(
        world.cast["rc_director"], matter, question="是否同意加装电梯？", kind="yes_no_abstain",
        closes_at=timezone.now() + timedelta(days=3), **options,
    )  # fmt: skip


# Votes I may still cast ----------------------------------------------------------------------


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_it_lists_a_vote_until_it_is_cast(world, elsewhere, secret):
    options = {"secret": True, "results_hidden": True} if secret else {}
    poll = residents_poll(world, **options)
    resident, owner = world.cast["resident"], world.cast["owner"]
    assert [p.pk for p in inbox.open_votes(resident)] == [poll.pk]
    assert inbox.open_votes(resident)[0].closes_at == poll.closes_at
    services.cast_ballot(resident, poll, ["yes"])
    assert inbox.open_votes(resident) == []  # voted
    assert [p.pk for p in inbox.open_votes(owner)] == [poll.pk]  # not yet
    for person in (world.cast["outsider"], world.cast["unverified"], elsewhere["resident"]):
        assert inbox.open_votes(person) == []


def test_votes_agree_with_has_voted_and_the_electorate_for_everyone(world, elsewhere):
    """The list asks the project's own definitions: for every person, a row exactly when they
    have slots (electorates.slots) and has_voted says no."""
    from deliberation import electorates

    poll = residents_poll(world)
    services.cast_ballot(world.cast["owner"], poll, ["no"])
    people = [*world.cast.values(), *elsewhere.values()]
    for person in people:
        expected = bool(electorates.slots(person, poll)) and not has_voted(person, poll)
        assert (poll in inbox.open_votes(person)) is expected, person.username


def test_a_closed_poll_is_not_a_vote_to_cast(world):
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(
        world.cast["rc_director"], matter, question="是否同意？", kind="yes_no_abstain"
    )
    services.close_poll(world.cast["rc_director"], poll)
    assert inbox.open_votes(world.cast["resident"]) == []


def test_a_poll_past_its_closing_time_is_not_a_vote_to_cast(world):
    poll = residents_poll(world)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert inbox.open_votes(world.cast["resident"]) == []


# What my bodies must do ----------------------------------------------------------------------


def test_it_lists_a_concern_for_the_workstation_that_must_handle_it(world, elsewhere):
    matter = propose(world, CONCERN)
    rows = inbox.body_actions(world.cast["ws_staff"])
    assert [(r.matter.pk, r.body.kind) for r in rows] == [(matter.pk, Kind.WORKSTATION)]
    assert rows[0].deadline == matter.deadline and not rows[0].overdue
    for name in ("rc_director", "resident", "party_secretary", "outsider"):
        assert inbox.body_actions(world.cast[name]) == [], name
    assert inbox.body_actions(elsewhere["staff"]) == []  # another community's workstation


def test_it_marks_an_overdue_action(world):
    matter = elapse(propose(world, CONCERN))
    [row] = inbox.body_actions(world.cast["ws_staff"])
    assert row.matter.pk == matter.pk and row.overdue


def test_a_demoted_staff_member_no_longer_sees_the_bodys_actions(world):
    propose(world, CONCERN)
    staff = world.cast["ws_staff"]
    position = Position.objects.current().get(user=staff)
    register.end_position(world.admin, position)
    assert inbox.body_actions(staff) == []
    assert inbox.count(staff) == 0


def test_it_lists_the_party_committees_proposal_stage(world):
    matter = propose(world, FOUR)
    assert [r.matter.pk for r in inbox.body_actions(world.cast["party_secretary"])] == [matter.pk]
    assert inbox.body_actions(world.cast["rc_director"]) == []


# Concerns awaiting my rating -----------------------------------------------------------------


def test_it_asks_the_requester_to_rate_a_response(world):
    matter = leave(world, propose(world, CONCERN))  # the workstation responds
    assert fresh(matter).stage == "feedback"
    assert [m.pk for m in inbox.concerns_to_rate(world.cast["resident"])] == [matter.pk]
    # It waits for the requester, not for the workstation (which could only close it unrated).
    assert inbox.body_actions(world.cast["ws_staff"]) == []
    for name in ("ws_staff", "owner", "outsider"):
        assert inbox.concerns_to_rate(world.cast[name]) == [], name
    services.rate_response(world.cast["resident"], matter, score=4)
    assert inbox.concerns_to_rate(world.cast["resident"]) == []


def test_a_concern_still_being_handled_is_not_to_rate(world):
    propose(world, CONCERN)
    assert inbox.concerns_to_rate(world.cast["resident"]) == []


# Objections I must answer ------------------------------------------------------------------


def test_it_lists_an_objection_for_the_body_that_must_answer_it(world):
    matter = walk_to(world, propose(world, FOUR), "notice")
    objection = services.post_comment(
        world.cast["resident"], matter, body="公示期太短。", objection=True
    )
    [row] = inbox.objections_to_answer(world.cast["rc_director"])
    assert row.pk == objection.pk and row.matter.pk == matter.pk
    for name in ("party_secretary", "ws_staff", "resident", "outsider"):
        assert inbox.objections_to_answer(world.cast[name]) == [], name
    services.answer_objection(world.cast["rc_director"], objection, body="已延长。")
    assert inbox.objections_to_answer(world.cast["rc_director"]) == []


# Meetings ------------------------------------------------------------------------------------


def council_meeting(world, *, public=False, start=True, kind="council"):
    chair = world.cast["rc_director" if kind == "residents" else "party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="居民议事会", kind=kind, public=public,
        scheduled_at=timezone.now() + timedelta(days=2), agenda=[("加装电梯", None)],
    )  # fmt: skip
    return meetings.start_meeting(chair, meeting) if start else meeting


def test_it_lists_a_live_meeting_with_a_join_button(client, world, elsewhere):
    meeting = council_meeting(world)
    for name in ("resident", "council_member", "ws_staff"):
        assert [m.pk for m in inbox.live_meetings(world.cast[name])] == [meeting.pk], name
    for person in (world.cast["outsider"], world.cast["unverified"], elsewhere["resident"]):
        assert inbox.live_meetings(person) == []
    client.force_login(world.cast["resident"])
    page = client.get(reverse("deliberation:inbox")).content.decode()
    assert reverse("deliberation:meeting", args=[meeting.pk]) in page
    assert "Join the meeting" in page


def test_a_public_meeting_of_another_community_is_not_in_my_inbox(world, elsewhere):
    council_meeting(world, public=True)
    assert inbox.live_meetings(elsewhere["resident"]) == []


def test_it_lists_upcoming_meetings_for_their_invitees_only(world, elsewhere):
    council = council_meeting(world, start=False)  # invitees: the council's members
    assembly = council_meeting(world, start=False, kind="residents")  # verified residents
    assert [m.pk for m in inbox.upcoming_meetings(world.cast["council_member"])] == [council.pk]
    assert [m.pk for m in inbox.upcoming_meetings(world.cast["resident"])] == [assembly.pk]
    for person in (world.cast["unverified"], world.cast["outsider"], elsewhere["resident"]):
        assert inbox.upcoming_meetings(person) == []


def test_each_meeting_row_keeps_a_place_for_the_check_in_link(client, world):
    council_meeting(world, start=False, kind="residents")
    client.force_login(world.cast["resident"])
    response = client.get(reverse("deliberation:inbox"))
    assert "deliberation/includes/inbox_checkin.html" in [t.name for t in response.templates]


# The header's count, the landing page, the empty states ------------------------------------


def test_the_header_shows_the_count_of_everything_waiting(client, world):
    residents_poll(world)
    leave(world, propose(world, CONCERN))  # a response to rate
    council_meeting(world, start=False, kind="residents")
    resident = world.cast["resident"]
    assert inbox.count(resident) == 3
    client.force_login(resident)
    page = client.get(reverse("home")).content.decode()
    assert 'aria-label="Waiting for me, 3 items"' in page
    assert '<span class="bell__count">3</span>' in page


def test_the_count_costs_a_few_queries(world, django_assert_max_num_queries):
    """Six lists in a dozen queries, plus one per open poll the person might vote in; more
    matters, meetings and polls already voted in cost nothing more."""
    poll = residents_poll(world)
    propose(world, CONCERN)
    leave(world, propose(world, CONCERN))
    council_meeting(world)
    council_meeting(world, start=False, kind="residents")
    budget = 12 + 1  # one open poll
    cost = {}
    for name in ("resident", "ws_staff", "rc_director"):
        with django_assert_max_num_queries(budget) as counted:
            assert inbox.count(world.cast[name]) >= 1
        cost[name] = len(counted.captured_queries)
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    for _ in range(4):
        propose(world, CONCERN)
        council_meeting(world, start=False, kind="residents")
    for name in ("resident", "ws_staff", "rc_director"):
        with django_assert_max_num_queries(cost[name]):
            inbox.count(world.cast[name])


def test_the_header_count_is_not_computed_twice_on_the_inbox(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.cast["resident"])
    client.get(reverse("deliberation:inbox"))  # warm the session
    with django_assert_max_num_queries(14):
        client.get(reverse("deliberation:inbox"))


def test_it_lands_on_the_inbox_after_sign_in(client, world):
    response = client.post(reverse("login"), {"username": "resident", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("deliberation:inbox")


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("deliberation:inbox"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_empty_states_say_what_will_appear(client, world):
    client.force_login(world.cast["outsider"])
    page = client.get(reverse("deliberation:inbox")).content.decode()
    for text in (
        "No meeting of your communities is sitting now",
        "No vote is waiting for you",
        "Nothing waits for your bodies",
        "No objection waits for an answer",
        "No concern of yours waits for a rating",
        "No meeting is scheduled for you",
    ):
        assert text in page
    assert 'class="bell__count"' not in page.split("<main")[0]


def test_the_page_shows_the_rows(client, world):
    poll = residents_poll(world)
    client.force_login(world.cast["resident"])
    page = client.get(reverse("deliberation:inbox")).content.decode()
    assert poll.question in page
    assert f"#poll-{poll.pk}" in page
    assert "No vote is waiting for you" not in page

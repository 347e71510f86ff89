"""Who may see a meeting is defined once (`Meeting.objects.visible_to`), and every channel asks
that one definition: the meeting list, the room, the projector, the minutes and the socket.

The matrix: the whole cast (plus a chair who is no member, a neighbouring community's resident,
a deactivated resident, the site admin and an anonymous visitor) against meetings of every
kind, in every status, open to the public or members only, chaired by an official or by an
outsider. In every cell each channel gives the same answer, and that answer is the rule.
"""

import re
from itertools import product

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities import services as register
from deliberation import access
from deliberation.meetings import live
from deliberation.models import Meeting
from tests.factories import CAST, CAST_POSITIONS, make_community, make_user

# Verified residents and current officials of the community: its insiders.
INSIDERS = {*CAST_POSITIONS, "resident", "owner"}
EXTRA = ["lone_chair", "neighbour", "deactivated", "admin", "anonymous"]
PEOPLE = [*CAST, *EXTRA]
PAGES = ("deliberation:meeting", "deliberation:meeting_projector", "deliberation:meeting_minutes")


@pytest.fixture
def matrix(world):
    """One meeting per kind × status × openness × chair (96), and everyone in PEOPLE."""
    people = dict(world.cast)
    people["admin"] = world.admin
    # Chairs a meeting here but belongs to the community in no way.
    people["lone_chair"] = make_user("lone_chair")
    # A verified resident, of another community.
    other, _estate, _orgs = make_community(world.admin, slug="xiangmi", code="XM", name="香蜜社区")
    people["neighbour"] = make_user("neighbour")
    register.request_membership(people["neighbour"], other, address="2栋")
    register.verify_membership(world.admin, people["neighbour"].memberships.get())
    # A resident whose account was deactivated (their session no longer signs them in).
    people["deactivated"] = make_user("deactivated")
    register.request_membership(people["deactivated"], world.community, address="3栋")
    register.verify_membership(world.admin, people["deactivated"].memberships.get())
    people["deactivated"].is_active = False
    people["deactivated"].save(update_fields=["is_active"])
    people["anonymous"] = None
    meetings = []
    cells = product(
        Meeting.Kind.values, Meeting.Status.values, (True, False), ("party_secretary", "lone_chair")
    )
    for kind, status, public, chair in cells:
        meetings.append(
            Meeting.objects.create(
                community=world.community,
                title=f"{kind}-{status}-{'public' if public else 'members'}-{chair}",
                kind=kind,
                estate=world.estate if kind == Meeting.Kind.OWNERS else None,
                chair=people[chair],
                scheduled_at=timezone.now(),
                public=public,
                status=status,
                created_by=people[chair],
            )
        )
    return world, people, meetings


def rule(name, person, meeting) -> bool:
    """The rule, written out: public meetings for anyone; the others for the community's
    insiders, the meeting's own chair and the site admin, while their account is active."""
    if meeting.public:
        return True
    if person is None or not person.is_active:
        return False
    return person.is_superuser or meeting.chair_id == person.pk or name in INSIDERS


def listed(client, community) -> set[int]:
    """The meetings the community's meeting list links to."""
    response = client.get(reverse("deliberation:meetings", args=[community.slug]))
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'href="/meetings/(\d+)/"', response.content.decode())}


@pytest.mark.parametrize("name", PEOPLE)
def test_every_channel_agrees_with_the_one_definition(matrix, name):
    world, people, meetings = matrix
    person = people[name]
    client = Client()
    if person is not None:
        client.force_login(person)
    user = person if person is not None else AnonymousUser()
    in_list = listed(client, world.community)
    visible = set(Meeting.objects.visible_to(user).values_list("pk", flat=True))
    for index, meeting in enumerate(meetings):
        expected = rule(name, person, meeting)
        cell = f"{name} × {meeting.title}"
        assert (meeting.pk in visible) is expected, cell
        assert (meeting.pk in in_list) is expected, f"the list disagrees: {cell}"
        assert access.may_see_meeting(user, meeting) is expected, f"the check disagrees: {cell}"
        # Each page over a third of the cells (each third holds every openness and chair).
        page = PAGES[index % len(PAGES)]
        status = client.get(reverse(page, args=[meeting.pk])).status_code
        assert status == (200 if expected else 404), f"{page} disagrees: {cell}"
        # The socket: being in the room needs an active sign-in on top of seeing the meeting.
        attends = expected and person is not None and person.is_active
        assert (live.meeting_for(user, meeting.pk) is not None) is attends, f"socket: {cell}"


def test_the_matrix_has_every_kind_of_answer(matrix):
    """The matrix is not trivially uniform: some cells are seen, some are not, per person."""
    _world, people, meetings = matrix
    seen = {
        name: {rule(name, people[name], m) for m in meetings}
        for name in ("outsider", "lone_chair", "resident", "admin", "anonymous")
    }
    assert seen["outsider"] == {True, False}
    assert seen["lone_chair"] == {True, False}
    assert seen["anonymous"] == {True, False}
    assert seen["resident"] == {True}
    assert seen["admin"] == {True}

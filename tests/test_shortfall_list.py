"""The shortfall list (who has not voted yet, by building) and the building heads (楼长) who
take it door to door: who may see it and how much (`access.shortfall_scope`, the one
definition), tried as an attacker; that it shows names and units and never a choice; and the
building heads' appointment through its service, audited, in the admin.

The estate: 1栋101 (the cast's owner), 1栋102 (owner102), 1栋201 (owner201), 2栋301 (owner301).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities import building_head_services as heads
from communities.models import AuditEvent, BuildingHead
from deliberation import access, services, shortfall
from deliberation.models import Choice
from tests.factories import make_user
from tests.walks import FOUR, owners_poll, propose, walk_to


@pytest.fixture
def building_heads(estate):
    director = estate.cast["rc_director"]
    one, two = make_user("louzhang1", display_name="楼长甲"), make_user("louzhang2")
    heads.appoint_building_head(director, estate.estate, "1", one)
    heads.appoint_building_head(director, estate.estate, "2", two)
    return {"head_of_1": one, "head_of_2": two}


def _url(matter, poll):
    return reverse(
        "deliberation:poll_shortfall", args=[matter.community.slug, matter.reference, poll.pk]
    )


def _get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


# Who sees which doors of the owners' vote (1栋101 has voted): None is refused (404).
OWNERS_MATRIX = {
    "rc_director": {"102", "201", "301"},
    "oc_chair": {"102", "201", "301"},
    "head_of_1": {"102", "201"},
    "head_of_2": {"301"},
    "resident": None,
    "owner": None,
    "outsider": None,
    "ws_staff": None,
    "party_secretary": None,
    "pm_manager": None,
    "anonymous": None,
}


@pytest.mark.parametrize("who", list(OWNERS_MATRIX))
def test_it_shows_each_reader_of_an_owners_vote_only_their_doors(
    client, estate, building_heads, who
):
    matter, poll = owners_poll(estate)
    people = {**estate.cast, **building_heads, "anonymous": None}
    response = _get(client, people[who], _url(matter, poll))
    expected = OWNERS_MATRIX[who]
    if expected is None:
        assert response.status_code == 404
        assert "owner301" not in response.content.decode()
        return
    assert response.status_code == 200
    page = response.content.decode()
    rows = {n for n in ("101", "102", "201", "301") if f"<td>{n}</td>" in page}
    assert rows == expected
    assert ("owner301" in page) == ("301" in expected)
    assert ("owner102" in page) == ("102" in expected)
    assert "<td>101</td>" not in page  # voted


def test_the_matter_page_links_the_list_only_for_those_who_may_see_it(
    client, estate, building_heads
):
    matter, poll = owners_poll(estate)
    for who, may in (("oc_chair", True), ("resident", False), ("outsider", False)):
        client.force_login(estate.cast[who])
        page = client.get(matter.get_absolute_url()).content.decode()
        assert (_url(matter, poll) in page) is may, who
    client.force_login(building_heads["head_of_1"])
    assert _url(matter, poll) in client.get(matter.get_absolute_url()).content.decode()


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_it_never_shows_a_choice(client, estate, secret):
    matter, poll = owners_poll(estate, secret=secret)  # 1栋101 voted yes
    user_model = type(estate.admin)
    services.cast_ballot(user_model.objects.get(username="owner102"), poll, ["no"])
    services.cast_ballot(user_model.objects.get(username="owner301"), poll, ["abstain"])
    page = _get(client, estate.cast["oc_chair"], _url(matter, poll)).content.decode()
    assert "<td>201</td>" in page and "<td>102</td>" not in page  # a receipt counts as voted
    for choice in Choice.objects.filter(poll=poll):
        assert choice.display not in page and f'"{choice.code}"' not in page
    for word in ("同意", "反对", "弃权", "赞成"):
        assert word not in page


@pytest.mark.parametrize("weakened", [False, True], ids=["as built", "weakened"])
def test_it_leaves_out_the_units_that_voted(client, estate, monkeypatch, weakened):
    matter, poll = owners_poll(estate)
    if weakened:  # a list that forgets the ballots: it would send a volunteer to 101 again
        monkeypatch.setattr(shortfall, "voted_slots", lambda poll: set())
    page = _get(client, estate.cast["oc_chair"], _url(matter, poll)).content.decode()
    assert ("<td>101</td>" in page) is weakened
    assert "尚未投票：3" in page or weakened


def test_a_building_head_sees_only_their_building_of_a_residents_vote(client, world):
    director = world.cast["rc_director"]
    head = make_user("louzhang")
    heads.appoint_building_head(director, world.estate, "1", world.cast["outsider"])
    other = world.estate.units.create(building="9", number="901", area="50.00")
    heads.appoint_building_head(director, world.estate, "9", head)
    assert other.pk
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(director, matter, question="是否加装电梯？", kind="yes_no_abstain")
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    url = _url(matter, poll)
    # The residents' committee convenes it: the whole list, the owner not voted yet.
    page = _get(client, director, url).content.decode()
    assert ">owner<" in page or "owner</td>" in page
    assert "<td>resident</td>" not in page
    # The owners' committee does not convene a residents' meeting.
    assert _get(client, world.cast["oc_chair"], url).status_code == 404
    # The head of building 1 sees its rows; the head of building 9 sees none of them.
    assert "owner</td>" in _get(client, world.cast["outsider"], url).content.decode()
    page = _get(client, head, url).content.decode()
    assert "owner</td>" not in page and "名单上的所有人都已投票。" in page
    assert _get(client, world.cast["resident"], url).status_code == 404


def test_the_scope_is_one_definition(estate, building_heads):
    matter, poll = owners_poll(estate)
    assert access.shortfall_scope(estate.cast["oc_chair"], poll) == access.ALL_BUILDINGS
    assert access.shortfall_scope(building_heads["head_of_2"], poll) == frozenset(
        {(estate.estate.pk, "2")}
    )
    assert access.shortfall_scope(estate.cast["resident"], poll) is None


# ---------------------------------------------------------------------------------------------
# Building heads: appointed by the residents' committee's leads, through the service, audited


def test_the_residents_committee_appoints_and_the_head_steps_down(estate):
    person = make_user("louzhang")
    head = heads.appoint_building_head(estate.cast["rc_director"], estate.estate, "2", person)
    event = AuditEvent.objects.get(verb="building_head.appointed")
    assert event.data == {"user": person.pk, "estate": estate.estate.pk, "building": "2"}
    assert event.actor == estate.cast["rc_director"]
    heads.end_building_head(person, head)
    assert AuditEvent.objects.filter(verb="building_head.ended").exists()
    assert not BuildingHead.objects.current().filter(user=person).exists()
    with pytest.raises(ValidationError):
        heads.end_building_head(person, head)


@pytest.mark.parametrize(
    "who", ["oc_chair", "resident", "outsider", "ws_staff", "party_secretary", "pm_manager"]
)
def test_no_one_else_appoints_a_building_head(estate, who):
    with pytest.raises(PermissionDenied):
        heads.appoint_building_head(estate.cast[who], estate.estate, "1", estate.cast[who])
    assert not BuildingHead.objects.exists()
    assert not AuditEvent.objects.filter(verb="building_head.appointed").exists()


def test_it_refuses_a_building_without_units_and_a_second_appointment(estate):
    director, person = estate.cast["rc_director"], make_user("louzhang")
    with pytest.raises(ValidationError, match="没有这个楼栋号"):
        heads.appoint_building_head(director, estate.estate, "99", person)
    heads.appoint_building_head(director, estate.estate, "1", person)
    with pytest.raises(ValidationError, match="已是该楼栋的楼长"):
        heads.appoint_building_head(director, estate.estate, "1", person)
    assert BuildingHead.objects.count() == 1


def test_only_the_leads_end_another_persons_appointment(estate):
    person = make_user("louzhang")
    head = heads.appoint_building_head(estate.cast["rc_director"], estate.estate, "1", person)
    with pytest.raises(PermissionDenied):
        heads.end_building_head(estate.cast["resident"], head)
    heads.end_building_head(estate.cast["rc_director"], head)


def test_an_ended_head_loses_the_list(client, estate, building_heads):
    matter, poll = owners_poll(estate)
    head = BuildingHead.objects.get(user=building_heads["head_of_1"])
    heads.end_building_head(estate.cast["rc_director"], head)
    assert _get(client, building_heads["head_of_1"], _url(matter, poll)).status_code == 404


def test_the_admin_lists_and_appoints_through_the_service(admin_client, estate):
    url = reverse("admin:communities_buildinghead_changelist")
    assert admin_client.get(url).status_code == 200
    person = make_user("louzhang")
    response = admin_client.post(
        reverse("admin:communities_buildinghead_add"),
        {"estate": estate.estate.pk, "building": "2", "user": person.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(verb="building_head.appointed", actor=estate.admin).exists()


@pytest.mark.parametrize("weakened", [False, True], ids=["as built", "weakened"])
def test_a_resident_and_a_foreign_poll_are_refused(client, estate, monkeypatch, weakened):
    matter, poll = owners_poll(estate)
    other, _other_poll = owners_poll(estate, question="另一事项？")
    if weakened:  # a scope that lets every signed-in reader see the whole list
        monkeypatch.setattr(access, "shortfall_scope", lambda user, poll: access.ALL_BUILDINGS)
    resident = _get(client, estate.cast["resident"], _url(matter, poll))
    assert (resident.status_code == 200) is weakened
    assert ("owner301" in resident.content.decode()) is weakened
    # The poll must belong to the matter in the address, whoever asks.
    crossed = _get(client, estate.cast["oc_chair"], _url(other, poll))
    assert crossed.status_code == 404

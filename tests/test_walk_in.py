"""Walk-in residents: workstation staff register a resident who came to the counter and log
their concern on their behalf (首接负责: the workstation stays responsible). Only current
workstation staff of the community may; everyone else is refused and nothing is created."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from communities import access as community_access
from communities import contact
from communities import services as register
from communities.models import AuditEvent, Membership, Organization, Position
from deliberation import inbox, services
from deliberation.models import Matter
from tests import factories

User = get_user_model()
Kind = Organization.Kind

CONCERN = {
    "display_name": "王阿姨",
    "phone": "13912345678",
    "email": "",
    "address": "1栋102",
    "title": "楼道灯坏了",
    "body": "二单元楼道灯坏了一周。",
    "category": "safety",
    "concern_kind": "complaint",
}


@pytest.fixture(autouse=True)
def english(client):
    """English, in the test and in the pages the client asks for."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def other_staff(world):
    """Workstation staff of another community."""
    community, _estate, orgs = factories.make_community(
        world.admin, slug="meilin", code="ML", name="梅林社区"
    )
    staff = factories.make_user("meilin_staff")
    register.appoint(world.admin, orgs[Kind.WORKSTATION], staff, "staff")
    return staff


def counts():
    return (User.objects.count(), Membership.objects.count(), Matter.objects.count())


def test_it_registers_a_walk_in_and_logs_their_concern(world):
    staff = world.cast["ws_staff"]
    matter = services.register_walk_in(staff, world.community, **CONCERN)
    resident = matter.proposer
    assert resident.display_name == "王阿姨"
    assert not resident.has_usable_password()
    assert contact.phone_of(resident) == "13912345678"
    membership = resident.memberships.get()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.decided_by == staff
    assert membership.unit.number == "102"
    # The concern: the resident proposed it, the workstation received it and is responsible.
    assert matter.procedure == "concern" and matter.stage == "received"
    assert matter.first_body == world.orgs[Kind.WORKSTATION]
    assert matter.concern_kind == "complaint"
    received = AuditEvent.objects.get(verb="matter.received_at_counter")
    assert received.actor == staff
    assert received.data == {"proposer": resident.pk, "received_by": matter.first_body.pk}
    assert AuditEvent.objects.get(verb="user.registered_walk_in").actor == staff
    # It is the workstation's to handle, and the resident's to rate later.
    assert [r.matter.pk for r in inbox.body_actions(staff)] == [matter.pk]


def test_a_walk_in_with_an_email_can_set_a_password_later(client, world):
    data = CONCERN | {"email": "wang@example.com"}
    services.register_walk_in(world.cast["ws_staff"], world.community, **data)
    client.post(reverse("password_reset"), {"email": "wang@example.com"})
    assert len(mail.outbox) == 1


def test_a_walk_in_needs_no_address_phone_or_email(world):
    data = CONCERN | {"phone": "", "address": ""}
    matter = services.register_walk_in(world.cast["ws_staff"], world.community, **data)
    assert matter.proposer.memberships.get().unit is None


@pytest.mark.parametrize("who", ["resident", "rc_director", "party_secretary", "outsider"])
def test_it_refuses_anyone_but_workstation_staff_and_creates_nothing(world, who):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.register_walk_in(world.cast[who], world.community, **CONCERN)
    assert counts() == before


def test_it_refuses_an_anonymous_user(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.register_walk_in(AnonymousUser(), world.community, **CONCERN)
    assert counts() == before


def test_it_refuses_another_communitys_workstation_staff(world, other_staff):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.register_walk_in(other_staff, world.community, **CONCERN)
    assert counts() == before


def test_it_refuses_a_demoted_staff_member(world):
    staff = world.cast["ws_staff"]
    register.end_position(world.admin, Position.objects.current().get(user=staff))
    before = counts()
    with pytest.raises(PermissionDenied):
        services.register_walk_in(staff, world.community, **CONCERN)
    assert counts() == before


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
def test_the_permission_check_is_what_stops_a_resident(world, monkeypatch, weakened):
    """Weakened: with the workstation check switched off, a resident gets through, so the
    refusal above is this check's doing."""
    if weakened:
        monkeypatch.setattr(community_access, "serves_at_workstation", lambda user, c: True)
    before = counts()
    try:
        services.register_walk_in(world.cast["rc_director"], world.community, **CONCERN)
    except PermissionDenied:
        refused = True
    else:
        refused = False
    assert refused is not weakened
    assert (counts() == before) is not weakened


@pytest.mark.parametrize(
    "bad",
    [
        {"display_name": ""},
        {"phone": "12345"},
        {"email": "nope"},
        {"title": ""},
        {"concern_kind": "x"},
    ],
    ids=["no-name", "bad-phone", "bad-email", "no-title", "bad-kind"],
)
def test_bad_input_is_refused_and_creates_nothing(world, bad):
    before = counts()
    with pytest.raises(ValidationError):
        services.register_walk_in(world.cast["ws_staff"], world.community, **(CONCERN | bad))
    assert counts() == before


# The page -------------------------------------------------------------------------------------


def test_the_community_page_links_staff_to_the_counter(client, world):
    url = reverse("community", args=[world.community.slug])
    walk_in = reverse("deliberation:walk_in", args=[world.community.slug])
    client.force_login(world.cast["ws_staff"])
    assert walk_in in client.get(url).content.decode()
    client.force_login(world.cast["rc_director"])
    assert walk_in not in client.get(url).content.decode()


def test_the_page_registers_a_walk_in(client, world):
    client.force_login(world.cast["ws_staff"])
    url = reverse("deliberation:walk_in", args=[world.community.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, CONCERN)
    matter = Matter.objects.get()
    assert response.status_code == 302 and response["Location"] == matter.get_absolute_url()
    assert matter.proposer.display_name == "王阿姨"


def test_the_page_explains_a_bad_phone_and_creates_nothing(client, world):
    client.force_login(world.cast["ws_staff"])
    before = counts()
    url = reverse("deliberation:walk_in", args=[world.community.slug])
    response = client.post(url, CONCERN | {"phone": "1234"})
    assert response.status_code == 400
    assert "11-digit mainland mobile number" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("who", ["resident", "rc_director", "outsider"])
def test_the_page_is_not_there_for_others(client, world, who):
    client.force_login(world.cast[who])
    url = reverse("deliberation:walk_in", args=[world.community.slug])
    before = counts()
    assert client.get(url).status_code == 404
    assert client.post(url, CONCERN).status_code == 404
    assert counts() == before


def test_the_page_sends_an_anonymous_visitor_to_sign_in(client, world):
    url = reverse("deliberation:walk_in", args=[world.community.slug])
    response = client.post(url, CONCERN)
    assert response.status_code == 302 and reverse("login") in response["Location"]

"""Joining, verification and the permissions that follow from it, through services and pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from guardian.models import UserObjectPermission

from communities import services
from communities.models import AuditEvent, Membership
from tests.factories import make_user


def _membership(user, community):
    return Membership.objects.get(user=user, community=community)


def test_it_puts_a_join_request_in_the_queue_without_rights(world):
    newcomer = make_user("newcomer")
    membership = services.request_membership(newcomer, world.community, address="3栋 502")
    assert membership.status == Membership.Status.PENDING
    assert not newcomer.has_perm("communities.comment", world.community)
    assert AuditEvent.objects.filter(verb="membership.requested", actor=newcomer).exists()


def test_it_refuses_a_second_request_while_one_waits(world):
    with pytest.raises(ValidationError):
        services.request_membership(world.cast["unverified"], world.community)


def test_it_refuses_a_request_from_an_anonymous_visitor(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.request_membership(AnonymousUser(), world.community)


@pytest.mark.parametrize("verifier", ["rc_director", "ws_staff"])
def test_it_lets_desk_staff_verify_and_grants_resident_rights(world, verifier):
    person = world.cast["unverified"]
    services.verify_membership(world.cast[verifier], _membership(person, world.community))
    assert _membership(person, world.community).status == Membership.Status.VERIFIED
    assert person.has_perm("communities.vote", world.community)
    event = AuditEvent.objects.get(
        verb="membership.verified", object_id=str(_membership(person, world.community).pk)
    )
    assert event.actor == world.cast[verifier]
    assert f"community:{world.community.pk}:vote" in event.data["added"]


@pytest.mark.parametrize(
    "refused",
    ["party_secretary", "pm_manager", "oc_chair", "so_member", "resident", "owner", "outsider"],
)
def test_it_refuses_verification_by_anyone_else(world, refused):
    person = world.cast["unverified"]
    with pytest.raises(PermissionDenied):
        services.verify_membership(world.cast[refused], _membership(person, world.community))
    assert _membership(person, world.community).status == Membership.Status.PENDING
    assert not person.has_perm("communities.vote", world.community)


def test_it_refuses_to_let_staff_verify_themselves(world):
    director = world.cast["rc_director"]
    services.request_membership(director, world.community)
    with pytest.raises(PermissionDenied):
        services.verify_membership(director, _membership(director, world.community))


def test_it_refuses_to_decide_a_request_twice(world):
    person = world.cast["unverified"]
    services.verify_membership(world.admin, _membership(person, world.community))
    with pytest.raises(ValidationError):
        services.verify_membership(world.admin, _membership(person, world.community))


def test_it_needs_a_reason_to_turn_down_a_request(world):
    membership = _membership(world.cast["unverified"], world.community)
    with pytest.raises(ValidationError):
        services.reject_membership(world.cast["rc_director"], membership, reason="  ")
    services.reject_membership(world.cast["rc_director"], membership, reason="查无此人")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REJECTED
    assert membership.reason == "查无此人"


def test_it_takes_rights_away_when_a_membership_is_revoked(world):
    resident = world.cast["resident"]
    services.revoke_membership(
        world.cast["ws_staff"], _membership(resident, world.community), reason="已搬离"
    )
    assert not resident.has_perm("communities.vote", world.community)
    assert not resident.has_perm("communities.comment", world.community)


def test_it_takes_rights_away_when_a_resident_leaves(world):
    resident = world.cast["resident"]
    services.leave_community(resident, world.community)
    assert not resident.has_perm("communities.propose_matter", world.community)
    assert not UserObjectPermission.objects.filter(user=resident).exists()


def test_it_lets_a_resident_ask_again_after_leaving(world):
    resident = world.cast["resident"]
    services.leave_community(resident, world.community)
    membership = services.request_membership(resident, world.community)
    assert membership.status == Membership.Status.PENDING


def test_it_keeps_permissions_in_step_when_synced_again(world):
    for person in world.cast.values():
        changes = services.sync_permissions(person, world.community)
        assert changes == {"added": [], "removed": []}


# Pages --------------------------------------------------------------------------------------


def test_it_lets_a_signed_in_visitor_ask_to_join_from_the_page(client, world):
    newcomer = make_user("newcomer")
    client.force_login(newcomer)
    url = reverse("join_community", args=[world.community.slug])
    response = client.post(url, {"address": "2栋 1101"}, follow=True)
    assert response.status_code == 200
    assert _membership(newcomer, world.community).address == "2栋 1101"


def test_it_sends_anonymous_visitors_to_sign_in_before_joining(client, world):
    url = reverse("join_community", args=[world.community.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_shows_the_queue_to_verifiers_only(client, world):
    url = reverse("verification_queue", args=[world.community.slug])
    client.force_login(world.cast["ws_staff"])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "unverified" in page
    membership = _membership(world.cast["unverified"], world.community)
    assert f'id="reject-{membership.pk}"' in page  # each request can be turned down, with reason
    revocable = _membership(world.cast["resident"], world.community)
    assert f'id="revoke-{revocable.pk}"' in page
    for name in ("party_secretary", "resident", "outsider"):
        client.force_login(world.cast[name])
        assert client.get(url).status_code == 404


def test_it_verifies_from_the_queue_page(client, world):
    person = world.cast["unverified"]
    membership = _membership(person, world.community)
    client.force_login(world.cast["rc_director"])
    response = client.post(
        reverse("decide_membership", args=[membership.pk]), {"decision": "verify"}, follow=True
    )
    assert response.status_code == 200
    assert _membership(person, world.community).is_verified
    assert person.has_perm("communities.comment", world.community)


def test_it_answers_404_to_a_non_verifier_deciding(client, world):
    membership = _membership(world.cast["unverified"], world.community)
    client.force_login(world.cast["resident"])
    response = client.post(
        reverse("decide_membership", args=[membership.pk]), {"decision": "verify"}
    )
    assert response.status_code == 404
    assert not _membership(world.cast["unverified"], world.community).is_verified


def test_it_explains_a_rejection_without_a_reason_and_keeps_the_request(client, world):
    membership = _membership(world.cast["unverified"], world.community)
    client.force_login(world.cast["rc_director"])
    response = client.post(
        reverse("decide_membership", args=[membership.pk]),
        {"decision": "reject", "reason": ""},
        follow=True,
    )
    assert "reason" in response.content.decode().lower() or "理由" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


def test_it_refuses_get_on_the_decision_endpoint(client, world):
    membership = _membership(world.cast["unverified"], world.community)
    client.force_login(world.cast["rc_director"])
    assert client.get(reverse("decide_membership", args=[membership.pk])).status_code == 405


@pytest.mark.parametrize("refused", ["party_secretary", "pm_manager", "resident", "owner"])
def test_it_refuses_revocation_by_anyone_but_desk_staff(world, refused):
    resident = world.cast["resident"]
    with pytest.raises(PermissionDenied):
        services.revoke_membership(
            world.cast[refused], _membership(resident, world.community), reason="x"
        )
    assert resident.has_perm("communities.vote", world.community)

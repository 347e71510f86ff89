"""The admin: every model is there, changes go through services, permission pages are guarded."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from communities.models import (
    AuditEvent,
    Community,
    Estate,
    Membership,
    Organization,
    Ownership,
    Position,
    Unit,
    User,
)
from tests.factories import make_user

MODELS = [Community, Estate, Unit, Ownership, Organization, Membership, Position, AuditEvent, User]


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_every_model_for_a_superuser(admin_client, world, model):
    meta = model._meta
    response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200


def test_it_appoints_through_the_service_and_grants_permissions(admin_client, world):
    newcomer = make_user("appointee")
    org = world.orgs[Organization.Kind.RESIDENTS_COMMITTEE]
    response = admin_client.post(
        reverse("admin:communities_position_add"),
        {"user": newcomer.pk, "organization": org.pk, "title": "member"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert newcomer.has_perm("communities.verify_resident", world.community)
    assert AuditEvent.objects.filter(verb="position.appointed").count() >= 7


def test_it_refuses_a_title_the_body_lacks_in_the_admin_form(admin_client, world):
    org = world.orgs[Organization.Kind.SOCIAL_ORGANIZATION]
    response = admin_client.post(
        reverse("admin:communities_position_add"),
        {"user": world.cast["outsider"].pk, "organization": org.pk, "title": "secretary"},
    )
    assert response.status_code == 200
    assert not Position.objects.filter(user=world.cast["outsider"]).exists()


def test_it_never_offers_deletion(admin_client, world):
    url = reverse("admin:communities_organization_delete", args=[world.orgs["workstation"].pk])
    assert admin_client.get(url).status_code == 403


def test_it_keeps_the_audit_log_read_only_even_for_superusers(admin_client, world):
    event = AuditEvent.objects.first()
    url = reverse("admin:communities_auditevent_change", args=[event.pk])
    admin_client.post(url, {"verb": "forged"})
    event.refresh_from_db()
    assert event.verb != "forged"
    assert admin_client.get(reverse("admin:communities_auditevent_add")).status_code == 403


def _staff_with(*codenames):
    staff = make_user("clerk")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return staff


def test_it_keeps_permission_editing_from_staff_without_guardian_rights(client, world):
    client.force_login(_staff_with("view_community", "change_community"))
    base = "admin:communities_community_permissions"
    page = client.get(reverse(base, args=[world.community.pk]))
    assert page.status_code == 302  # sent back to the admin index
    user_page = reverse(
        "admin:communities_community_permissions_manage_user",
        args=[world.community.pk, world.cast["outsider"].pk],
    )
    response = client.post(user_page, {"permissions": ["publish_resolution"]})
    assert response.status_code == 302
    assert not world.cast["outsider"].has_perm("communities.publish_resolution", world.community)


def test_it_audits_permission_edits_by_a_superuser(admin_client, world):
    url = reverse(
        "admin:communities_community_permissions_manage_user",
        args=[world.community.pk, world.cast["outsider"].pk],
    )
    response = admin_client.post(url, {"permissions": ["comment"]})
    assert response.status_code == 302
    assert world.cast["outsider"].has_perm("communities.comment", world.community)
    event = AuditEvent.objects.get(verb="permissions.edited_in_admin")
    assert event.data["added"] == ["comment"]


def test_it_demotes_and_deactivates_accounts_through_the_service(
    admin_client, world, django_capture_on_commit_callbacks
):
    """The admin's user form saves through services.save_account: audited, and the change to
    what the account may do is published for its open live sockets."""
    from communities.events import domain_event

    overseer = User.objects.create_superuser("overseer", password="x-irrelevant-1")
    heard = []

    def listen(sender, *, kind, data, **kwargs):
        heard.append((kind, data))

    domain_event.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:communities_user_change", args=[overseer.pk]),
                {"username": "overseer", "display_name": "", "email": "", "is_active": "",
                 "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
            )  # fmt: skip
    finally:
        domain_event.disconnect(listen)
    assert response.status_code == 302, response.content.decode()[:2000]
    overseer.refresh_from_db()
    assert not overseer.is_superuser and not overseer.is_active
    event = AuditEvent.objects.get(verb="user.changed")
    assert {"is_active", "is_superuser"} <= set(event.data["fields"])
    assert ("access.changed", {"user": overseer.pk, "session": None}) in heard

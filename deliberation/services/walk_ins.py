"""Walk-in residents (上门群众): workstation staff register a resident who came to the counter,
and take down their concern on their behalf. 首接负责: the workstation that received it stays
the responsible body (the concern procedure's first body).

The resident's account, verified membership and concern come from the same services as
everyone's (sign-up checks, `verify_membership`, `propose_matter`), in one transaction, so a
refusal anywhere leaves nothing behind.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities import access as community_access
from communities import audit, contact, names
from communities import services as register
from communities.models import Community, Organization
from deliberation import access, procedures
from deliberation.models import Matter
from deliberation.services.matters import propose_matter

User = get_user_model()


def _new_username() -> str:
    """A user name nobody chose: the resident signs in later (if ever) after a password reset."""
    while True:
        username = f"walkin-{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


def register_walk_in(
    actor,
    community: Community,
    *,
    display_name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    title: str,
    body: str,
    category: str,
    concern_kind: str,
) -> Matter:
    """Register a walk-in resident (no usable password; verified by `actor`) and log their
    concern with them as its proposer and the workstation as the body that received it.
    Only current workstation staff of the community may."""
    if not community_access.serves_at_workstation(actor, community):
        raise PermissionDenied(
            _("Only the community workstation's staff may register a walk-in resident.")
        )
    workstation = access.body_of_kind(community, Organization.Kind.WORKSTATION)
    name = names.clean_display_name(display_name or "")
    if not name:
        raise ValidationError(_("Give the resident's name, as their neighbours know them."))
    email, phone = contact.clean_email(email), contact.clean_phone(phone)
    with transaction.atomic():
        resident = User(username=_new_username(), display_name=name, email=email, phone=phone)
        resident.set_unusable_password()
        resident.full_clean(exclude=["password"])
        resident.save()
        audit.record(
            actor,
            "user.registered_walk_in",
            resident,
            community=community,
            data={"user": resident.pk, "workstation": workstation.pk},
        )
        membership = register.request_membership(resident, community, address=address)
        register.verify_membership(actor, membership)
        matter = propose_matter(
            resident,
            community,
            title=title,
            body=body,
            category=category,
            procedure=procedures.CONCERN.code,
            concern_kind=concern_kind,
        )
        audit.record(
            actor,
            "matter.received_at_counter",
            matter,
            community=community,
            data={"proposer": resident.pk, "received_by": workstation.pk},
        )
    return matter

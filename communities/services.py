"""The only way who-is-who changes: sign-up, membership, verification, positions, ownership.

Each public function takes the acting user, checks permission, changes rows in one transaction,
re-derives the affected user's object permissions from the role policy, writes an audit event and
schedules its broadcast on commit. Every change to what a person may do is also published as
`access.changed` (communities.events), so that their open live sockets are checked again.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from communities import access, audit, contact, names, roles
from communities.events import access_changed, membership_decided, publish_on_commit
from communities.models import (
    Community,
    Estate,
    Membership,
    Organization,
    Ownership,
    PartyMember,
    Position,
    Unit,
    insider_q,
)

User = get_user_model()


def require(actor, perm: str, obj, message: str) -> None:
    """Raise PermissionDenied with `message` unless `actor` holds `perm` on `obj`."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm, obj):
        raise PermissionDenied(message)


# ---------------------------------------------------------------------------------------------
# Roles → guardian rows


def _desired_permissions(user, community: Community) -> set[tuple[int, str, str]]:
    """(content type id, object pk, codename) triples that the role policy gives this user."""
    community_ct = ContentType.objects.get_for_model(Community)
    org_ct = ContentType.objects.get_for_model(Organization)
    estate_ct = ContentType.objects.get_for_model(Estate)
    desired: set[tuple[int, str, str]] = set()
    for role, org in access.roles_of(user, community):
        role_grant = roles.ROLE_POLICY[role]
        desired |= {(community_ct.pk, str(community.pk), c) for c in role_grant.community}
        if org is not None:
            desired |= {(org_ct.pk, str(org.pk), c) for c in role_grant.organization}
            if org.estate_id is not None:
                desired |= {(estate_ct.pk, str(org.estate_id), c) for c in role_grant.estate}
    owned_estates = (
        Ownership.objects.current()
        .filter(owner=user, unit__estate__community=community)
        .values_list("unit__estate_id", flat=True)
        .distinct()
    )
    owner_grant = roles.ROLE_POLICY[roles.OWNER]
    for estate_id in owned_estates:
        desired |= {(estate_ct.pk, str(estate_id), c) for c in owner_grant.estate}
    return desired


def sync_permissions(user, community: Community) -> dict[str, list[str]]:
    """Make the user's guardian rows on this community's objects match the role policy."""
    managed = roles.managed_codenames()
    scopes = {
        ContentType.objects.get_for_model(Community).pk: (
            [str(community.pk)],
            managed["community"],
        ),
        ContentType.objects.get_for_model(Organization).pk: (
            [str(pk) for pk in community.organizations.values_list("pk", flat=True)],
            managed["organization"],
        ),
        ContentType.objects.get_for_model(Estate).pk: (
            [str(pk) for pk in community.estates.values_list("pk", flat=True)],
            managed["estate"],
        ),
    }
    permissions = {
        (p.content_type_id, p.codename): p
        for p in Permission.objects.filter(content_type_id__in=scopes.keys())
    }
    current_rows = {}
    for ct_id, (object_pks, codenames) in scopes.items():
        rows = UserObjectPermission.objects.filter(
            user=user,
            content_type_id=ct_id,
            object_pk__in=object_pks,
            permission__codename__in=codenames,
        ).select_related("permission")
        for row in rows:
            current_rows[(ct_id, row.object_pk, row.permission.codename)] = row.pk

    desired = _desired_permissions(user, community)
    to_add = desired - current_rows.keys()
    to_remove = current_rows.keys() - desired
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                user=user,
                permission=permissions[(ct_id, codename)],
                content_type_id=ct_id,
                object_pk=object_pk,
            )
            for ct_id, object_pk, codename in sorted(to_add)
        ]
    )
    UserObjectPermission.objects.filter(pk__in=[current_rows[key] for key in to_remove]).delete()

    def label(key):
        ct_id, object_pk, codename = key
        return f"{ContentType.objects.get_for_id(ct_id).model}:{object_pk}:{codename}"

    return {"added": sorted(map(label, to_add)), "removed": sorted(map(label, to_remove))}


def _sync_and_audit(actor, user, community, verb, obj, data=None):
    """Re-derive the user's permissions, audit the change (naming whose access it was), and
    tell their open live sockets on commit: the one path every change of a person's rights takes."""
    changes = sync_permissions(user, community)
    audit.record(
        actor, verb, obj, community=community, data={**(data or {}), "user": user.pk, **changes}
    )
    access_changed(user.pk, community_id=community.pk)
    return changes


# ---------------------------------------------------------------------------------------------
# Accounts


def sign_up(*, username: str, password: str, display_name: str = "", email="", phone=""):
    """Create a login; it carries no rights until its holder is verified in a community.
    The e-mail (for a password reset and notices) and the phone (for SMS) are optional."""
    user = User(username=User.normalize_username(username))
    user.display_name = names.clean_display_name(display_name)
    user.email, user.phone = contact.clean_email(email), contact.clean_phone(phone)
    user.set_password(password)
    user.full_clean(exclude=["password"])  # the username's checks (communities.names), unique
    with transaction.atomic():
        user.save()
        audit.record(user, "user.signed_up", user)
    return user


# What an account may do besides its roles: whether it may sign in at all, the admin flags, and
# the permissions and groups given to it directly. A change to any of these is an access change.
ACCOUNT_ACCESS_FIELDS = frozenset(
    {"is_active", "is_staff", "is_superuser", "groups", "user_permissions", "password"}
)


def save_account(actor, user, *, changed: list[str] | None = None):
    """Create or change an account as a site administrator edited it (the admin), audited; a
    change to what it may do reaches its open live sockets on commit."""
    creating = user._state.adding
    perm = "communities.add_user" if creating else "communities.change_user"
    _require_model_perm(actor, perm, _("You may not change accounts."))
    changed = list(changed or [])
    with transaction.atomic():
        user.save()
        verb = "user.created" if creating else "user.changed"
        audit.record(actor, verb, user, data={"fields": changed, "user": user.pk})
        if not creating and ACCOUNT_ACCESS_FIELDS & set(changed):
            access_changed(user.pk)


def rename(actor, user, display_name: str):
    """Change a person's display name: their own, or anyone's for a site administrator."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to change your name."))
    if actor.pk != user.pk and not actor.has_perm("communities.change_user"):
        raise PermissionDenied(_("You may change only your own name."))
    name = names.clean_display_name(display_name)
    if not name:
        raise ValidationError(_("Give your name, as your neighbours know you."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.display_name != name:
            audit.record(actor, "user.renamed", locked, data={"from": locked.display_name})
            locked.display_name = name
            locked.save(update_fields=["display_name"])
    user.display_name = name
    return user


# ---------------------------------------------------------------------------------------------
# Membership and verification


def request_membership(user, community: Community, *, address: str = "") -> Membership:
    """Ask to join a community as a resident; the request waits in the verification queue."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to ask to join a community."))
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(user=user, community=community).first()
        )
        if membership is not None and membership.status == Membership.Status.VERIFIED:
            raise ValidationError(_("You are already a verified resident of this community."))
        if membership is not None and membership.status == Membership.Status.PENDING:
            raise ValidationError(_("Your request to join is already waiting for verification."))
        if membership is None:
            membership = Membership(user=user, community=community)
        membership.status = Membership.Status.PENDING
        membership.address = address.strip()
        # The unit the address names, for staff to confirm when they verify (not yet counted).
        membership.unit = access.find_unit(community, membership.address)
        membership.unit_since = None
        membership.requested_at = timezone.now()
        membership.decided_by = None
        membership.decided_at = None
        membership.reason = ""
        membership.save()
        _sync_and_audit(user, user, community, "membership.requested", membership)
        publish_on_commit(
            "membership.requested",
            community_id=community.pk,
            data={"pending": access.pending_count(community)},
        )
    return membership


_KEEP = object()  # verify_membership: keep the unit the request's address matched


def _require_verifier(actor, membership: Membership) -> None:
    require(
        actor,
        "communities.verify_resident",
        membership.community,
        _("You may not verify residents of this community."),
    )
    if actor.pk == membership.user_id:
        raise PermissionDenied(_("Nobody may decide their own membership."))


def _check_unit(unit, community) -> None:
    if unit is not None and unit.estate.community_id != community.pk:
        raise ValidationError(_("That unit is not in this community's register."))


def _decide(actor, membership: Membership, status: str, verb: str, reason: str = "", unit=_KEEP):
    community = membership.community
    _require_verifier(actor, membership)
    if unit is not _KEEP:
        _check_unit(unit, community)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if verb == "membership.revoked":
            if locked.status != Membership.Status.VERIFIED:
                raise ValidationError(_("Only a verified membership can be revoked."))
        elif locked.status != Membership.Status.PENDING:
            raise ValidationError(_("This request has already been decided."))
        locked.status = status
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.reason = reason
        data = {"reason": reason}
        if status == Membership.Status.VERIFIED:
            if unit is not _KEEP:
                locked.unit = unit
            locked.unit_since = locked.decided_at if locked.unit_id else None
            data |= _unit_data(locked)
        locked.save()
        _sync_and_audit(actor, locked.user, community, verb, locked, data)
        if verb in ("membership.verified", "membership.rejected"):
            membership_decided.send(sender=Membership, membership=locked, verb=verb)
        publish_on_commit(
            verb,
            community_id=community.pk,
            data={"pending": access.pending_count(community)},
        )
    membership.refresh_from_db()
    return membership


def _unit_data(membership: Membership) -> dict:
    """What the audit keeps of a resident's unit: which one, and who else of their name is
    there (a possible second login of one person)."""
    duplicates = access.possible_duplicates([membership]).get(membership.pk, [])
    return {"unit": membership.unit_id, "possible_duplicates": [m.pk for m in duplicates]}


def verify_membership(actor, membership: Membership, *, unit=_KEEP) -> Membership:
    """Verify a waiting resident, which gives them a verified resident's rights, linked to the
    unit they live in: `unit`, or else the one their address matched. A resident verified
    without a unit has no household vote until staff link one (`link_unit`)."""
    return _decide(actor, membership, Membership.Status.VERIFIED, "membership.verified", unit=unit)


def link_unit(actor, membership: Membership, unit) -> Membership:
    """Link a verified resident to the unit they live in (or correct it); a households poll
    counts it from now on, not in polls already open."""
    _require_verifier(actor, membership)
    if unit is None:
        raise ValidationError(_("Choose the unit the resident lives in."))
    _check_unit(unit, membership.community)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.status != Membership.Status.VERIFIED:
            raise ValidationError(_("Only a verified resident is linked to a unit here."))
        if locked.unit_id == unit.pk:
            return locked
        before = locked.unit_id
        locked.unit, locked.unit_since = unit, timezone.now()
        locked.save(update_fields=["unit", "unit_since"])
        audit.record(
            actor,
            "membership.unit_linked",
            locked,
            community=membership.community,
            data={**_unit_data(locked), "before": before},
        )
    membership.refresh_from_db()
    return membership


def reject_membership(actor, membership: Membership, *, reason: str) -> Membership:
    """Turn down a request to join, with a reason the applicant sees."""
    if not reason.strip():
        raise ValidationError(_("Give a reason, so that the applicant knows what to do."))
    return _decide(
        actor, membership, Membership.Status.REJECTED, "membership.rejected", reason.strip()
    )


def revoke_membership(actor, membership: Membership, *, reason: str) -> Membership:
    """Withdraw a verified resident's rights (moved away, verified in error), with a reason."""
    if not reason.strip():
        raise ValidationError(_("Give a reason for revoking the membership."))
    return _decide(
        actor, membership, Membership.Status.REJECTED, "membership.revoked", reason.strip()
    )


def leave_community(user, community: Community) -> Membership:
    """A resident leaves a community; their resident rights end at once."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(user=user, community=community).first()
        )
        if membership is None or membership.status not in (
            Membership.Status.PENDING,
            Membership.Status.VERIFIED,
        ):
            raise ValidationError(_("You are not a member of this community."))
        membership.status = Membership.Status.LEFT
        membership.decided_by = user
        membership.decided_at = timezone.now()
        membership.save()
        _sync_and_audit(user, user, community, "membership.left", membership)
    return membership


# ---------------------------------------------------------------------------------------------
# Positions in organisations


def appoint(actor, organization: Organization, user, title: str) -> Position:
    """Give a person a title in an organisation, with the rights the policy attaches to it."""
    require(
        actor,
        "communities.manage_organization",
        organization,
        _("You may not appoint people to this organisation."),
    )
    if not roles.is_valid_title(organization.kind, title):
        raise ValidationError(
            _("An organisation of this kind has no such title."), code="invalid_title"
        )
    with transaction.atomic():
        if Position.objects.current().filter(user=user, organization=organization).exists():
            raise ValidationError(_("This person already holds a position in the organisation."))
        position = Position.objects.create(
            user=user, organization=organization, title=title, appointed_by=actor
        )
        _sync_and_audit(
            actor, user, organization.community, "position.appointed", position, {"title": title}
        )
    return position


def end_position(actor, position: Position) -> Position:
    """End a position (removal by the organisation's lead, or resignation by its holder)."""
    organization = position.organization
    if actor is None or actor.pk != position.user_id:
        require(
            actor,
            "communities.manage_organization",
            organization,
            _("You may not remove people from this organisation."),
        )
    with transaction.atomic():
        locked = Position.objects.select_for_update().get(pk=position.pk)
        if locked.ended_at is not None:
            raise ValidationError(_("This position has already ended."))
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        _sync_and_audit(actor, locked.user, organization.community, "position.ended", locked)
    position.refresh_from_db()
    return position


# ---------------------------------------------------------------------------------------------
# The party members' roll (党员名册)


def _require_roll_keeper(actor, organization: Organization) -> None:
    if organization.kind != Organization.Kind.PARTY_COMMITTEE:
        raise ValidationError(_("Only a party organisation keeps a roll of party members."))
    if not access.keeps_party_roll(actor, organization):
        raise PermissionDenied(
            _("Only the party committee's secretaries may keep its roll of party members.")
        )


def add_party_member(actor, organization: Organization, user) -> PartyMember:
    """Put a person on the party organisation's roll: they vote in the party members' review."""
    _require_roll_keeper(actor, organization)
    if user is None or not user.is_active:
        raise ValidationError(_("There is no active account with that user name."))
    community = Community.objects.filter(pk=organization.community_id)
    if not community.filter(insider_q(user, "pk")).exists():
        raise ValidationError(
            _("Only a verified resident or an official of the community goes on its roll.")
        )
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        if PartyMember.objects.current().filter(organization=organization, user=user).exists():
            raise ValidationError(_("%(name)s is already on the roll.") % {"name": user})
        member = PartyMember.objects.create(organization=organization, user=user, added_by=actor)
        audit.record(
            actor, "party_member.added", member, community=organization.community,
            data={"user": user.pk},
        )  # fmt: skip
    return member


def end_party_member(actor, member: PartyMember, *, reason: str) -> PartyMember:
    """Take a person off the roll (moved away, transferred out), with the reason on record."""
    _require_roll_keeper(actor, member.organization)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason."))
    if len(reason) > 200:
        raise ValidationError(_("The reason is too long (at most 200 characters)."))
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        if locked.ended_at is not None:
            raise ValidationError(_("This person has already left the roll."))
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "end_reason"])
        audit.record(
            actor, "party_member.ended", locked, community=member.organization.community,
            data={"user": locked.user_id, "reason": reason},
        )  # fmt: skip
    return locked


# ---------------------------------------------------------------------------------------------
# The unit and ownership register


def _require_register(actor, community):
    require(
        actor,
        "communities.manage_register",
        community,
        _("You may not change this community's unit register."),
    )


def record_ownership(actor, unit: Unit, owner, *, is_voter: bool | None = None) -> Ownership:
    """Record that a person owns a unit; a developer-held unit becomes sold."""
    community = unit.estate.community
    _require_register(actor, community)
    with transaction.atomic():
        locked_unit = Unit.objects.select_for_update().get(pk=unit.pk)
        current = Ownership.objects.current().filter(unit=locked_unit)
        if current.filter(owner=owner).exists():
            raise ValidationError(_("This person is already recorded as an owner of the unit."))
        has_voter = current.filter(is_voter=True).exists()
        if is_voter is None:
            is_voter = not has_voter
        if is_voter and has_voter:
            current.filter(is_voter=True).update(is_voter=False)
        ownership = Ownership.objects.create(
            unit=locked_unit, owner=owner, is_voter=is_voter, recorded_by=actor
        )
        data = {"is_voter": is_voter}
        if locked_unit.developer_held:
            locked_unit.developer_held = False
            locked_unit.save(update_fields=["developer_held"])
            data["sold_by_developer"] = True
        _sync_and_audit(actor, owner, community, "ownership.recorded", ownership, data)
    unit.refresh_from_db()
    return ownership


def designate_voter(actor, unit: Unit, owner) -> Ownership:
    """Make one co-owner the one who casts the unit's vote (register staff or a co-owner)."""
    community = unit.estate.community
    with transaction.atomic():
        current = Ownership.objects.current().select_for_update().filter(unit=unit)
        co_owner_ids = {o.owner_id for o in current}
        if actor is None or actor.pk not in co_owner_ids:
            _require_register(actor, community)
        target = next((o for o in current if o.owner_id == owner.pk), None)
        if target is None:
            raise ValidationError(_("Only a current owner of the unit can cast its vote."))
        # Clear the old voter first: the database allows one voter per unit at any moment.
        current.exclude(pk=target.pk).filter(is_voter=True).update(is_voter=False)
        if not target.is_voter:
            target.is_voter = True
            target.save(update_fields=["is_voter"])
        audit.record(actor, "ownership.voter_designated", target, community=community)
    return target


def end_ownership(actor, ownership: Ownership) -> Ownership:
    """Record that an owner no longer owns the unit; another co-owner takes over its vote."""
    community = ownership.unit.estate.community
    _require_register(actor, community)
    with transaction.atomic():
        locked = Ownership.objects.select_for_update().get(pk=ownership.pk)
        if locked.ended_at is not None:
            raise ValidationError(_("This ownership has already ended."))
        locked.ended_at = timezone.now()
        was_voter = locked.is_voter
        locked.is_voter = False
        locked.save(update_fields=["ended_at", "is_voter"])
        if was_voter:
            successor = Ownership.objects.current().filter(unit=locked.unit).first()
            if successor is not None:
                successor.is_voter = True
                successor.save(update_fields=["is_voter"])
        _sync_and_audit(actor, locked.owner, community, "ownership.ended", locked)
    ownership.refresh_from_db()
    return ownership


# ---------------------------------------------------------------------------------------------
# Structure: communities, estates, units and organisations (site administrators)


def _require_model_perm(actor, perm: str, message: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDenied(message)


def save_structure(actor, obj, *, changed: list[str] | None = None):
    """Create or change a community, estate, unit or organisation, checked and audited."""
    model = type(obj)
    if model not in (Community, Estate, Unit, Organization):
        raise TypeError(f"save_structure does not handle {model.__name__}.")
    creating = obj._state.adding
    action = "add" if creating else "change"
    if model is Unit:
        _require_register(actor, obj.estate.community)
        if obj.developer_held and obj.pk and Ownership.objects.current().filter(unit=obj).exists():
            raise ValidationError(
                {"developer_held": _("A unit with recorded owners is not held by the developer.")}
            )
    else:
        _require_model_perm(
            actor,
            f"communities.{action}_{model._meta.model_name}",
            _("You may not change the structure of communities."),
        )
    obj.full_clean()
    with transaction.atomic():
        obj.save()
        community = obj if model is Community else getattr(obj, "community", None)
        if model is Unit:
            community = obj.estate.community
        verb = f"{model._meta.model_name}.{'created' if creating else 'changed'}"
        audit.record(actor, verb, obj, community=community, data={"fields": changed or []})
    return obj

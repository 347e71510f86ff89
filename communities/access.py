"""Fetch-and-check helpers: one per object; missing and forbidden both answer 404."""

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from communities import addresses, names, roles
from communities.models import AuditEvent, Community, Membership, Organization, Position, Unit

# What each action asks of the community; reading a community page needs nothing.
COMMUNITY_ACTIONS = {
    "view": None,
    "verify": "communities.verify_resident",
    "view_residents": "communities.view_residents",
}


def may(user, community: Community, action: str) -> bool:
    """Whether `user` may do `action` (a key of COMMUNITY_ACTIONS) in `community`."""
    perm = COMMUNITY_ACTIONS[action]
    return perm is None or (user.is_authenticated and user.has_perm(perm, community))


def serves_at_workstation(user, community: Community) -> bool:
    """Whether `user` is current staff of the community's workstation (社区工作站) who may
    verify residents: who registers a walk-in resident and takes down their concern."""
    if not user.is_authenticated or not user.is_active:
        return False
    at_desk = Position.objects.current().filter(
        user=user,
        organization__community=community,
        organization__kind=Organization.Kind.WORKSTATION,
    )
    return at_desk.exists() and user.has_perm("communities.verify_resident", community)


def get_community_for(user, slug: str, *, action: str = "view") -> Community:
    """The community with this slug, if `user` may do `action` there; otherwise 404."""
    community = get_object_or_404(Community, slug=slug)
    if not may(user, community, action):
        raise Http404("No such community.")
    return community


def get_membership_for(user, pk: int, *, action: str = "verify") -> Membership:
    """A membership that `user` may decide on (verify, reject, revoke); otherwise 404."""
    if action != "verify":
        raise ValueError(f"unknown action {action!r}")
    membership = get_object_or_404(
        Membership.objects.select_related("user", "community", "decided_by"), pk=pk
    )
    if not may(user, membership.community, action):
        raise Http404("No such membership.")
    return membership


def party_roll_for(user, community: Community):
    """The community's party organisation, if `user` keeps its roll of party members."""
    party = community.organizations.filter(kind=Organization.Kind.PARTY_COMMITTEE).first()
    return party if party is not None and keeps_party_roll(user, party) else None


def keeps_party_roll(user, organization: Organization) -> bool:
    """Who keeps a party organisation's roll of party members: its secretaries."""
    return (
        user is not None
        and user.is_authenticated
        and organization.kind == Organization.Kind.PARTY_COMMITTEE
        and user.has_perm("communities.manage_organization", organization)
    )


def get_party_roll_for(user, slug: str) -> Organization:
    """The party organisation whose roll `user` keeps, in the community with this slug; or 404."""
    party = party_roll_for(user, get_object_or_404(Community, slug=slug))
    if party is None:
        raise Http404("No such roll.")
    return party


def signed_in(pairs) -> dict:
    """Of (session key, user id) pairs, those still signed in by that session, each with its
    person as the database has them now: {pair: user}. The session must exist and not have
    expired, and the account must be active. Two queries however many pairs.

    The one check a live socket makes before it acts and again when its person's access
    changes: the user a socket was opened with is never trusted to be current."""
    pairs = set(pairs)
    keys = {key for key, _user in pairs if key}
    alive = set(
        Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    users = get_user_model().objects.filter(
        pk__in={user for key, user in pairs if key in alive}, is_active=True
    )
    people = {user.pk: user for user in users}
    return {(key, user): people[user] for key, user in pairs if key in alive and user in people}


def withdrawn_since(pairs, since) -> tuple[set, set]:
    """The live transport's catch-up, for access changes whose message it may have missed (a
    channel-layer outage): of (session key, user id) pairs, those no longer signed in, and the
    ids of those whose rights an audited change has touched since `since` (every such change
    names its person in `data["user"]`). A few queries however many pairs."""
    pairs = list(set(pairs))
    alive = {}
    for start in range(0, len(pairs), 1000):
        alive |= signed_in(pairs[start : start + 1000])
    gone = set(pairs) - alive.keys()
    touched = AuditEvent.objects.filter(created_at__gte=since, data__has_key="user")
    changed = set(touched.values_list("data__user", flat=True))
    return gone, changed & {user for _key, user in pairs}


def pending_count(community: Community) -> int:
    """How many residents wait in the community's verification queue."""
    return Membership.objects.pending().filter(community=community).count()


def roles_of(user, community: Community) -> list[tuple[str, object]]:
    """The user's roles in a community, each with the organisation it sits in (or None)."""
    result: list[tuple[str, object]] = []
    membership = Membership.objects.filter(user=user, community=community).first()
    if membership is not None:
        if membership.status == Membership.Status.VERIFIED:
            result.append((roles.VERIFIED_RESIDENT, None))
        elif membership.status == Membership.Status.PENDING:
            result.append((roles.RESIDENT, None))
    positions = (
        Position.objects.current()
        .filter(user=user, organization__community=community)
        .select_related("organization")
    )
    for position in positions:
        org = position.organization
        result.append((roles.position_role(org.kind, position.title), org))
    return result


def rights_of(user, memberships, positions, ownerships) -> list[dict]:
    """Per community: the user's roles and the permissions guardian actually holds for them."""
    positions = list(positions)
    ownerships = list(ownerships)
    community_ids = {m.community_id for m in memberships}
    community_ids |= {p.organization.community_id for p in positions}
    community_ids |= {o.unit.estate.community_id for o in ownerships}
    checker = ObjectPermissionChecker(user)
    result = []
    for community in Community.objects.filter(pk__in=community_ids):
        role_names = []
        for role, org in roles_of(user, community):
            if org is None:
                role_names.append(roles.ROLE_LABELS[role])
            else:
                title = Position.Title(role.split(".", 1)[1]).label
                role_names.append(f"{org.name} · {title}")
        if any(o.unit.estate.community_id == community.pk for o in ownerships):
            role_names.append(roles.ROLE_LABELS[roles.OWNER])
        organizations = list(community.organizations.in_display_order())
        estates = list(community.estates.all())
        for objects in ([community], organizations, estates):
            if objects:
                checker.prefetch_perms(objects)
        held = []
        for obj in [community, *organizations, *estates]:
            labels = [
                roles.PERMISSION_LABELS[codename]
                for codename in sorted(checker.get_perms(obj))
                if codename in roles.PERMISSION_LABELS
            ]
            if labels:
                held.append((obj, labels))
        result.append({"community": community, "roles": role_names, "held": held})
    return result


# Units: which one a typed address names, who lives there ---------------------------------------


def registered_units(community: Community) -> list[addresses.RegisteredUnit]:
    """Every unit of the community's estates, as `addresses.match` reads them (one query)."""
    rows = Unit.objects.filter(estate__community=community).values_list(
        "pk", "estate__name", "building", "number", "estate__address"
    )
    return [addresses.RegisteredUnit(*row) for row in rows]


def find_unit(community: Community, text: str, units=None) -> Unit | None:
    """The community's one unit that `text` names (addresses.match), or None."""
    pk = addresses.match(text, registered_units(community) if units is None else units)
    return None if pk is None else Unit.objects.select_related("estate").get(pk=pk)


def person_key(user) -> str:
    """A person's name as duplicates are compared: NFKC, no spaces, no case."""
    return "".join(names.normalise_display_name(user.display_name).split()).casefold()


def possible_duplicates(memberships) -> dict[int, list[Membership]]:
    """For each membership linked to a unit, the community's other live memberships (waiting or
    verified) at the same unit by a person of the same name: likely one person asking twice,
    under two logins. Staff see the flag in the verification queue."""
    memberships = [m for m in memberships if m.unit_id is not None]
    if not memberships:
        return {}
    others = (
        Membership.objects.filter(
            unit_id__in={m.unit_id for m in memberships},
            status__in=[Membership.Status.PENDING, Membership.Status.VERIFIED],
        )
        .select_related("user")
        .order_by("requested_at", "pk")
    )
    by_unit: dict[int, list[Membership]] = {}
    for other in others:
        by_unit.setdefault(other.unit_id, []).append(other)
    result = {}
    for membership in memberships:
        key = person_key(membership.user)
        same = [
            other
            for other in by_unit.get(membership.unit_id, [])
            if other.pk != membership.pk
            and other.community_id == membership.community_id
            and key
            and person_key(other.user) == key
        ]
        if same:
            result[membership.pk] = same
    return result

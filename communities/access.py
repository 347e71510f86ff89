"""Fetch-and-check helpers: one per object; missing and forbidden both answer 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from communities.models import Community, Membership

# What each action asks of the community; reading a community page needs nothing.
COMMUNITY_ACTIONS = {
    "view": None,
    "verify": "communities.verify_resident",
    "view_residents": "communities.view_residents",
}


def get_community_for(user, slug: str, *, action: str = "view") -> Community:
    """The community with this slug, if `user` may do `action` there; otherwise 404."""
    community = get_object_or_404(Community, slug=slug)
    perm = COMMUNITY_ACTIONS[action]
    if perm is not None and not (user.is_authenticated and user.has_perm(perm, community)):
        raise Http404("No such community.")
    return community


def get_membership_for(user, pk: int, *, action: str = "verify") -> Membership:
    """A membership that `user` may decide on (verify, reject, revoke); otherwise 404."""
    if action != "verify":
        raise ValueError(f"unknown action {action!r}")
    membership = get_object_or_404(
        Membership.objects.select_related("user", "community", "decided_by"), pk=pk
    )
    if not (
        user.is_authenticated
        and user.has_perm("communities.verify_resident", membership.community)
    ):
        raise Http404("No such membership.")
    return membership


def can_see_resident_names(user, community: Community) -> bool:
    """Residents' names are private to the staff who hold `view_residents`."""
    return user.is_authenticated and user.has_perm("communities.view_residents", community)

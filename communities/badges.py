"""A person's verified role badge: the titles of the positions they hold in a community's bodies,
shown beside their name wherever they speak (comments, stances, the live room, minutes).

The one definition of the badge. It is read only from positions (`Position`, appointed through
`services.appoint`), never from anything a person types: a resident who calls themself
"党委书记 王书记" has no badge; the real secretary has one.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from communities import roles
from communities.models import Organization, Position


@dataclass(frozen=True)
class Badge:
    """One verified title: the role code (`roles.position_role`) and the body's name."""

    role: str
    organization: str

    @property
    def label(self) -> str:
        return str(roles.badge_label(self.role))


def badges_for(community_id, user_ids, *, at: datetime | None = None) -> dict[int, list[Badge]]:
    """Each person's badges in the community, heads before members, in one query; only those
    who hold a position appear. With `at`, the positions held at that moment."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids or community_id is None:
        return {}
    positions = Position.objects.filter(user_id__in=ids, organization__community_id=community_id)
    if at is None:
        positions = positions.current()
    else:
        positions = positions.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at)).filter(
            started_at__lte=at
        )
    kinds = list(Organization.Kind.values)
    titles = list(Position.Title.values)
    rows = sorted(
        positions.values_list("user_id", "organization__kind", "title", "organization__name"),
        key=lambda row: (kinds.index(row[1]), titles.index(row[2]), row[3]),
    )
    result: dict[int, list[Badge]] = {}
    for user_id, kind, title, name in rows:
        role = roles.position_role(kind, title)
        if role in roles.BADGE_LABELS:
            result.setdefault(user_id, []).append(Badge(role, name))
    return result


def badge_codes(community_id, user_id) -> list[str]:
    """One person's badges as role codes, for the JSON a live room sends (labels are in the
    room's strings, so an event reads right in every language)."""
    return codes(badges_for(community_id, [user_id]).get(user_id, []))


def codes(badges: list[Badge]) -> list[str]:
    return [badge.role for badge in badges]

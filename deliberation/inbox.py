"""待我处理: what is waiting for one person, across their communities. Each list is one
function, and the header's count (`count`) adds up the same functions, so the page and the
number never disagree.

Every list asks the project's own definitions: who may vote is `electorates.slots` and "has
voted" is a Ballot or VoterReceipt row for one of those slots (as `services.ballots.has_voted`);
who must act is the stage's actors (`access.acts_for`, `access.actor_organization`); who is
invited to a meeting is `meetings.room.electorate_user_ids`; overdue is `access.overdue_q`.
The cost is a handful of queries, plus one per open poll the person might vote in.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from communities.models import Organization, Ownership, Position, insider_q
from deliberation import access, electorates, procedures
from deliberation.meetings.room import electorate_user_ids
from deliberation.models import (
    Ballot,
    Comment,
    Electorate,
    Matter,
    Meeting,
    Poll,
    Proxy,
    VoterReceipt,
)
from deliberation.services.ballots import has_voted

User = get_user_model()
Kind = Organization.Kind
UPCOMING_SHOWN = 20  # scheduled meetings listed at once


@dataclass
class BodyAction:
    """A matter whose current stage waits for one of the person's bodies."""

    matter: Matter
    body: Organization
    deadline: datetime | None
    deadline_is_minimum: bool
    overdue: bool = False
    objections: list = field(default_factory=list)


def _owned_estate_ids(user):
    """The estates where the person casts a unit's vote, as a subquery (no query of its own)."""
    return (
        Ownership.objects.current()
        .filter(owner=user, is_voter=True)
        .order_by()
        .values("unit__estate_id")
    )


def _mine_q(user, owned_estates, path: str = "") -> Q:
    """Rows of the person's communities: insider (verified or official), or an owner's estate."""
    return insider_q(user, f"{path}community") | Q(**{f"{path}estate__in": owned_estates})


# Votes ------------------------------------------------------------------------------------------


def open_votes(user, now=None) -> list[Poll]:
    """Open polls in which the person has a slot and has filled none, soonest close first."""
    if not user.is_authenticated or not user.is_active:
        return []
    now = now or timezone.now()
    owned = _owned_estate_ids(user)
    polls = list(
        Poll.objects.filter(status=Poll.Status.OPEN)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .filter(Q(matter__isnull=True) | Q(matter__closed_at__isnull=True))
        .exclude(matter__status__in=[Matter.Status.REJECTED, Matter.Status.WITHDRAWN])
        .exclude(matter__status=Matter.Status.MERGED)
        .filter(_mine_q(user, owned))
        .select_related("community", "matter__community", "agenda_item")
    )
    wanted: dict[int, set[str]] = {}
    for poll in polls:
        if poll.electorate == Electorate.ORGANIZATIONS:
            bodies = access.speaking_bodies(user, poll.community)
            keys = {slot for org in bodies for slot, *_r in electorates.slots(user, poll, org)}
        else:
            keys = {slot for slot, *_rest in electorates.slots(user, poll)}
        if keys:
            wanted[poll.pk] = keys
    filled: set[tuple[int, str]] = set()
    for model, secret in ((Ballot, False), (VoterReceipt, True)):
        ids = [p.pk for p in polls if p.pk in wanted and p.secret is secret]
        if ids:
            slots = set().union(*(wanted[pk] for pk in ids))
            filled.update(
                model.objects.filter(poll_id__in=ids, slot__in=slots).values_list("poll_id", "slot")
            )
    result = [
        poll
        for poll in polls
        if poll.pk in wanted and not any((poll.pk, slot) in filled for slot in wanted[poll.pk])
    ]
    # No close announced: after every poll that has one.
    return sorted(result, key=lambda p: (p.closes_at is None, p.closes_at or now, p.pk))


@dataclass
class ProxyVote:
    """A vote the person may cast for someone who authorised them (委托)."""

    poll: Poll
    principal: object
    proxy_id: int


def proxy_votes(user, now=None) -> list[ProxyVote]:
    """Open polls covered by an authorisation the person holds, whose voter has not voted."""
    if not user.is_authenticated or not user.is_active:
        return []
    now = now or timezone.now()
    held = list(
        Proxy.objects.filter(
            holder=user, status__in=[Proxy.Status.ACTIVE, Proxy.Status.USED]
        ).select_related("principal")
    )
    if not held:
        return []
    rows = []
    for proxy in held:
        polls = Poll.objects.filter(status=Poll.Status.OPEN).filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now)
        )
        if proxy.poll_id is not None:
            polls = polls.filter(pk=proxy.poll_id)
        else:
            polls = polls.filter(agenda_item__meeting=proxy.meeting_id)
        for poll in polls.select_related("matter__community", "agenda_item"):
            if not has_voted(proxy.principal, poll):
                rows.append(ProxyVote(poll, proxy.principal, proxy.pk))
    return rows


# What the person's bodies must do ----------------------------------------------------------------


def _awaits_proposer(stage) -> bool:
    """A stage whose first actor is the proposer (a concern's rating) waits for them, not for
    the body that may also act there."""
    return bool(stage.actors) and stage.actors[0].scope == "proposer"


def body_actions(user, now=None) -> list[BodyAction]:
    """Matters in progress whose current stage's actor is a body the person holds a position in
    (and whose right to act they hold), with the stage's deadline; overdue ones first."""
    if not user.is_authenticated or not user.is_active:
        return []
    positions = Position.objects.current().filter(user=user)
    bodies = {
        p.organization_id: p.organization
        for p in positions.select_related("organization__community")
    }
    if not bodies:
        return []
    communities = {b.community_id: b.community for b in bodies.values()}
    matters = (
        Matter.objects.filter(community__in=communities.keys(), closed_at__isnull=True)
        .filter(status__in=[Matter.Status.OPEN, Matter.Status.DECIDED])
        .select_related("estate", "first_body")
        .order_by("deadline", "pk")
    )
    satisfied: dict[tuple, bool] = {}  # one permission check per actor entry and scope
    rows = []
    for matter in matters:
        matter.community = communities[matter.community_id]  # shares the bodies' cache
        stage = matter.stage_spec
        if _awaits_proposer(stage):
            continue
        for actor in stage.actors:
            if actor.scope == "proposer":
                continue
            org = access.actor_organization(matter, actor)
            if org is None or org.pk not in bodies:
                continue
            key = (actor, matter.community_id, matter.estate_id, matter.first_body_id)
            if key not in satisfied:
                satisfied[key] = access.acts_for(user, matter, actor)
            if satisfied[key]:
                rows.append(BodyAction(matter, org, matter.deadline, matter.deadline_is_minimum))
                break
    if rows:
        late = set(
            Matter.objects.filter(pk__in=[r.matter.pk for r in rows])
            .filter(access.overdue_q(now))
            .values_list("pk", flat=True)
        )
        for row in rows:
            row.overdue = row.matter.pk in late
    return sorted(rows, key=lambda r: not r.overdue)


def objections_to_answer(user, actions: list[BodyAction] | None = None, now=None) -> list[Comment]:
    """Unanswered objections on matters whose stage lets one of the person's bodies answer them."""
    actions = body_actions(user, now) if actions is None else actions
    matters = [
        a.matter for a in actions if procedures.ANSWER_OBJECTION in a.matter.stage_spec.actions
    ]
    if not matters:
        return []
    by_pk = {m.pk: m for m in matters}
    objections = list(
        Comment.objects.filter(
            matter__in=matters,
            is_objection=True,
            answered_by__isnull=True,
            hidden_at__isnull=True,
        )
        .select_related("author")
        .order_by("answer_due", "pk")
    )
    for objection in objections:
        objection.matter = by_pk[objection.matter_id]
    return objections


def concerns_to_rate(user) -> list[Matter]:
    """Concerns the person raised whose response now waits for their rating."""
    if not user.is_authenticated or not user.is_active:
        return []
    concerns = Matter.objects.filter(
        proposer=user,
        procedure=procedures.CONCERN.code,
        status=Matter.Status.OPEN,
        closed_at__isnull=True,
    ).select_related("community", "first_body")
    return [m for m in concerns if access.may_act(user, m, procedures.RATE)]


# Meetings ---------------------------------------------------------------------------------


def _my_meetings(user):
    owned = _owned_estate_ids(user)
    return (
        Meeting.objects.visible_to(user)
        .filter(_mine_q(user, owned) | Q(chair=user))
        .select_related("community", "estate")
    )


def live_meetings(user) -> list[Meeting]:
    """Meetings of the person's communities that sit now and that they may attend."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(_my_meetings(user).filter(status=Meeting.Status.LIVE).order_by("started_at"))


def upcoming_meetings(user) -> list[Meeting]:
    """Scheduled meetings the person is invited to (the meeting's electorate; anyone who may
    attend where it has none), soonest first."""
    if not user.is_authenticated or not user.is_active:
        return []
    meetings = list(
        _my_meetings(user)
        .filter(status=Meeting.Status.SCHEDULED)
        .order_by("scheduled_at", "pk")[:UPCOMING_SHOWN]
    )
    invited = {m.pk: electorate_user_ids(m) for m in meetings}
    asked = {f"m{pk}": ids for pk, ids in invited.items() if ids is not None}
    answers = {}
    if asked:
        answers = (
            User.objects.filter(pk=user.pk)
            .values(
                **{
                    name: ExpressionWrapper(Q(pk__in=ids), output_field=BooleanField())
                    for name, ids in asked.items()
                }
            )
            .first()
        ) or {}
    return [m for m in meetings if invited[m.pk] is None or answers.get(f"m{m.pk}")]


# Everything at once -----------------------------------------------------------------------


def everything(user, now=None) -> dict:
    """Every list of the page, computed once each."""
    actions = body_actions(user, now)
    return {
        "votes": open_votes(user, now),
        "proxy_votes": proxy_votes(user, now),
        "actions": actions,
        "live": live_meetings(user),
        "upcoming": upcoming_meetings(user),
        "objections": objections_to_answer(user, actions, now),
        "ratings": concerns_to_rate(user),
    }


def total(lists: dict) -> int:
    """How many things wait, as the header shows it."""
    return sum(len(items) for items in lists.values())


def count(user, now=None) -> int:
    """The header's number: the same lists as the page."""
    if not user.is_authenticated or not user.is_active:
        return 0
    return total(everything(user, now))

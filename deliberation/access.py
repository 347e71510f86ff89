"""Reads: who may see and act on a matter or a meeting now, who must, and fetch-and-check
helpers (404 for both missing and forbidden). Services, views, templates and the live room ask
these; nothing here changes state.

Visibility is defined once per object, as a queryset (`Matter.objects.visible_to`,
`Meeting.objects.visible_to`, both built from `communities.models.insider_q`); the per-object
checks and the fetch helpers here ask that same queryset.
"""

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import BuildingHead, Organization, Position
from deliberation import procedures
from deliberation.models import AgendaItem, Electorate, Matter, Meeting, Minutes, Poll

Kind = Organization.Kind


def body_of_kind(community, kind: str) -> Organization | None:
    """The community's single organisation of a kind (party committee, street office, …).

    Remembered on the community instance, so a page listing many matters asks once per kind.
    """
    cache = community.__dict__.setdefault("_bodies_by_kind", {})
    if kind not in cache:
        cache[kind] = Organization.objects.filter(community=community, kind=kind).first()
    return cache[kind]


def owners_committee(matter) -> Organization | None:
    """The owners' committee of the matter's estate (at most one per estate).

    All of the community's are read at once and remembered on the community instance, as
    `body_of_kind` does, so a ledger or CSV of many owners' matters asks once.
    """
    if matter.estate_id is None:
        return None
    community = matter.community
    cache = community.__dict__.get("_owners_committees")
    if cache is None:
        cache = community.__dict__["_owners_committees"] = {
            org.estate_id: org
            for org in Organization.objects.filter(community=community, kind=Kind.OWNERS_COMMITTEE)
        }
    return cache.get(matter.estate_id)


def actor_organization(matter, actor: procedures.Actor) -> Organization | None:
    """The body an actor entry speaks for, when it names one."""
    if actor.scope == "org":
        return body_of_kind(matter.community, actor.kind)
    if actor.scope == "first_body":
        return matter.first_body
    if actor.scope == "estate":
        return owners_committee(matter)
    if actor.scope == "community" and actor.perm == "publish_resolution":
        return body_of_kind(matter.community, Kind.RESIDENTS_COMMITTEE)
    return None


def _satisfies(user, matter, actor: procedures.Actor) -> bool:
    if actor.scope == "proposer":
        return matter.proposer_id == user.pk
    if actor.scope == "community":
        return user.has_perm(f"communities.{actor.perm}", matter.community)
    if actor.scope == "estate":
        return matter.estate_id is not None and user.has_perm(
            f"communities.{actor.perm}", matter.estate
        )
    org = actor_organization(matter, actor)
    perm = actor.perm or "speak_for_organization"
    return org is not None and user.has_perm(f"communities.{perm}", org)


def acting_as(user, matter, stage=None) -> procedures.Actor | None:
    """The first of the stage's actor entries that `user` satisfies, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    stage = stage or matter.stage_spec
    for actor in stage.actors:
        if _satisfies(user, matter, actor):
            return actor
    return None


def acts_for(user, matter, actor: procedures.Actor) -> bool:
    """Whether `user` satisfies this one actor entry of the matter's stage (the inbox asks
    entry by entry, to tell a body's duty from the proposer's)."""
    return user.is_authenticated and user.is_active and _satisfies(user, matter, actor)


def may_act(user, matter, action: str) -> bool:
    """Whether `user` may take `action` in the matter's current stage (not a guard check)."""
    return (
        matter.in_progress
        and action in matter.stage_spec.actions
        and acting_as(user, matter) is not None
    )


def actor_label(matter, actor: procedures.Actor) -> str:
    """Who must act, in words: a body's name, the proposer, or a role."""
    if actor.label:
        return str(actor.label)
    if actor.scope == "proposer":
        return _("the proposer")
    org = actor_organization(matter, actor)
    if org is not None:
        return org.name
    if actor.perm == "chair_meeting":
        return _("the meeting chair")
    return _("the responsible body")


def who_must_act(matter) -> str:
    """The ledger's "who must act" column: the bodies named by the current stage."""
    if not matter.in_progress:
        return ""
    return " / ".join(dict.fromkeys(actor_label(matter, a) for a in matter.stage_spec.actors))


def answers_for_notices(user, matter) -> bool:
    """Whether `user` is of the body responsible for the matter (an actor of any of its
    procedure's stages other than the proposer): who sees the notices' delivery log and
    records paper deliveries. The proposer as such is not."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(
        actor.scope != "proposer" and _satisfies(user, matter, actor)
        for stage in matter.procedure_spec.stages
        for actor in stage.actors
    )


def speaking_bodies(user, community) -> list[Organization]:
    """The organisations `user` may speak for in this community (for "speak as")."""
    if not user.is_authenticated:
        return []
    org_ids = (
        Position.objects.current()
        .filter(user=user, organization__community=community)
        .values_list("organization_id", flat=True)
    )
    return [
        org
        for org in Organization.objects.filter(pk__in=org_ids).in_display_order()
        if user.has_perm("communities.speak_for_organization", org)
    ]


def may_anywhere(user, community, perm: str) -> bool:
    """Whether `user` holds `communities.<perm>` on the community or on any of its estates
    (owners and owners' committees propose and chair for their estate only)."""
    if not user.is_authenticated:
        return False
    if user.has_perm(f"communities.{perm}", community):
        return True
    return any(user.has_perm(f"communities.{perm}", e) for e in community.estates.all())


def may_comment(user, matter) -> bool:
    return (
        user.is_authenticated
        and matter.in_progress
        and user.has_perm("communities.comment", matter.community)
    )


def may_moderate(user, community) -> bool:
    return user.is_authenticated and user.has_perm("communities.moderate", community)


def may_escalate(user, matter) -> bool:
    return (
        user.is_authenticated
        and matter.in_progress
        and user.has_perm("communities.escalate", matter.community)
    )


def get_matter_for(user, community, reference: str) -> Matter:
    """The matter with this reference in this community, if `user` may read it; otherwise 404."""
    matter = (
        Matter.objects.visible_to(user, community)
        .select_related("community", "proposer", "on_behalf_of", "estate", "first_body")
        .filter(reference=reference)
        .first()
    )
    if matter is None:
        raise Http404("No such matter.")
    return matter


def overdue_q(now=None) -> Q:
    """Matters with a missed deadline: the stage's, an objection's or an escalation's."""
    now = now or timezone.now()
    in_progress = Q(closed_at__isnull=True, status__in=[Matter.Status.OPEN, Matter.Status.DECIDED])
    stage_late = Q(deadline__lt=now, deadline_is_minimum=False)
    escalation_late = Q(escalations__answered_at__isnull=True, escalations__deadline__lt=now)
    objection_late = Q(
        comments__is_objection=True,
        comments__answered_by__isnull=True,
        comments__answer_due__lt=now,
        comments__hidden_at__isnull=True,
    )
    return in_progress & (stage_late | escalation_late | objection_late)


def is_overdue(matter, now=None) -> bool:
    """Whether this one matter is overdue, by the same definition as the ledger filter."""
    return Matter.objects.filter(pk=matter.pk).filter(overdue_q(now)).exists()


# ---------------------------------------------------------------------------------------------
# Meetings


def may_see_meeting(user, meeting) -> bool:
    """Whether `user` may see this meeting: its page, projector, minutes. The answer of
    `Meeting.objects.visible_to`; where the meeting row alone decides (public, the chair, the
    admin, an inactive account) it answers without a query, otherwise it asks the queryset
    (tests/test_meeting_visibility.py holds the two together on every cell)."""
    if meeting.public:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or meeting.chair_id == user.pk:
        return True
    return Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists()


def hidden_agenda_items(user, meeting) -> set[int]:
    """The meeting's agenda items tied to a matter `user` may not see (`Matter.objects.
    visible_to`): wherever the agenda is shown to them, such an item shows a placeholder, not
    its title or its matter. One query."""
    return set(
        AgendaItem.objects.filter(meeting=meeting, matter__isnull=False)
        .exclude(matter__in=Matter.objects.visible_to(user))
        .values_list("pk", flat=True)
    )


def get_meeting_for(user, pk: int) -> Meeting:
    """The meeting with this id, if `user` may see it; otherwise 404."""
    meeting = (
        Meeting.objects.visible_to(user)
        .select_related("community", "chair", "estate")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def may_attend(user, meeting) -> bool:
    """Being in the room (the socket, presence): signed in, active, and able to see it."""
    return user.is_authenticated and user.is_active and may_see_meeting(user, meeting)


def chair_scope(meeting):
    """What the chair's permission is held on: the estate for an owners' assembly."""
    return meeting.estate if meeting.kind == Meeting.Kind.OWNERS else meeting.community


def may_chair(user, meeting) -> bool:
    """The meeting's chair (or the item's acting chair) who still holds chair_meeting."""
    item = meeting.current_item
    holders = {meeting.chair_id}
    if item is not None and item.acting_chair_id:
        holders = {item.acting_chair_id}
    return _holds_chair(user, meeting, holders)


def _holds_chair(user, meeting, holders: set) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.pk in holders and user.has_perm("communities.chair_meeting", chair_scope(meeting))


def _chairs_item(user, item) -> bool:
    """The chair of a live meeting, or the acting chair of this item, holding chair_meeting."""
    meeting = item.meeting
    holders = {meeting.chair_id, item.acting_chair_id} - {None}
    return meeting.status == Meeting.Status.LIVE and _holds_chair(user, meeting, holders)


# The body that convenes each kind of meeting: its staff check people in at the door.
CONVENING_BODIES = {
    Meeting.Kind.COUNCIL: Kind.PARTY_COMMITTEE,
    Meeting.Kind.JOINT: Kind.PARTY_COMMITTEE,
    Meeting.Kind.RESIDENTS: Kind.RESIDENTS_COMMITTEE,
    Meeting.Kind.REPRESENTATIVES: Kind.RESIDENTS_COMMITTEE,
    Meeting.Kind.REVIEW: Kind.RESIDENTS_COMMITTEE,
    Meeting.Kind.OWNERS: Kind.OWNERS_COMMITTEE,
}


def may_check_in(user, meeting) -> bool:
    """Checking people in at the door (签到) and undoing it: the meeting's chair, or anyone
    holding a position in the body that convenes it (for an owners' assembly, its estate's
    owners' committee)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or _holds_chair(user, meeting, {meeting.chair_id}):
        return True
    staff = Position.objects.current().filter(
        user=user,
        organization__community=meeting.community_id,
        organization__kind=CONVENING_BODIES[meeting.kind],
    )
    if meeting.kind == Meeting.Kind.OWNERS:
        staff = staff.filter(organization__estate=meeting.estate_id)
    return staff.exists()


def may_take_part(user, meeting) -> bool:
    """Raising a hand and chatting: those in the room who may comment in the community."""
    return may_attend(user, meeting) and user.has_perm("communities.comment", meeting.community)


def may_edit_minutes(user, meeting) -> bool:
    """The residents' committee (holders of publish_resolution) edits and publishes minutes."""
    return user.is_authenticated and user.has_perm(
        "communities.publish_resolution", meeting.community
    )


def get_minutes_for(user, meeting) -> Minutes:
    """The meeting's minutes as `user` may read them: published ones for all who may see the
    meeting (fetch it with `get_meeting_for`), the draft for its editors only; otherwise 404."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        raise Http404("No minutes yet.")
    if minutes.status != Minutes.Status.PUBLISHED and not may_edit_minutes(user, meeting):
        raise Http404("No minutes yet.")
    return minutes


def may_close_poll(user, poll) -> bool:
    """Closing a poll by a person (the clock's close is `services.polls.require_due`): the chair
    of the meeting it was put in, while it sits (or that item's acting chair); otherwise the
    actor of the matter's stage, under its procedure. A council meeting's own motion, only its
    meeting's chair. `services.polls.require_may_close` adds: never before an announced close."""
    if not user.is_authenticated or not user.is_active:
        return False
    if poll.agenda_item_id is not None and _chairs_item(user, poll.agenda_item):
        return True
    return poll.matter_id is not None and may_act(user, poll.matter, procedures.CLOSE_POLL)


def responsible_for_poll(user, poll) -> bool:
    """The body that runs a poll's register (appoints scrutineers, sees who voted by which way,
    registers proxies for those who cannot come): the actor of its matter's current stage under
    the procedure, or the residents' committee (holders of publish_resolution, who are informed
    of every owners' vote); a meeting's own motion, its chair."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if poll.matter_id is not None:
        matter = poll.matter
        if acting_as(user, matter) is not None:
            return True
        return user.has_perm("communities.publish_resolution", matter.community)
    if poll.agenda_item_id is not None:
        meeting = poll.agenda_item.meeting
        return _holds_chair(user, meeting, {meeting.chair_id})
    return False


def is_scrutineer(user, poll) -> bool:
    """A scrutineer the responsible body appointed for this poll, still in office."""
    if not user.is_authenticated or not user.is_active:
        return False
    return poll.scrutineers.filter(user=user, ended_at__isnull=True).exists()


def get_poll_for(user, pk: int):
    """The poll with this id, if `user` may see its matter (or, for a meeting's own motion, its
    meeting); otherwise 404."""
    poll = (
        Poll.objects.select_related("matter", "community", "estate", "agenda_item__meeting", "body")
        .filter(pk=pk)
        .first()
    )
    if poll is None:
        raise Http404("No such poll.")
    if poll.matter_id is not None:
        visible = Matter.objects.visible_to(user, poll.community).filter(pk=poll.matter_id)
        if not visible.exists():
            raise Http404("No such poll.")
    elif poll.agenda_item_id is None or not may_see_meeting(user, poll.agenda_item.meeting):
        raise Http404("No such poll.")
    return poll


def may_see_proxy(user, proxy) -> bool:
    """A proxy and its written authorisation: the voter, the proxy, whoever registered it, and
    the body responsible for the vote (or the meeting's chair and the residents' committee)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.pk in (proxy.principal_id, proxy.holder_id, proxy.created_by_id):
        return True
    return registers_proxies(user, proxy.poll, proxy.meeting)


def registers_proxies(user, poll, meeting) -> bool:
    """Who registers a proxy for a voter who brings their signed authorisation in person: the
    body responsible for the vote (or, for a meeting, its chair and the residents' committee)."""
    if poll is not None:
        return responsible_for_poll(user, poll)
    return may_chair(user, meeting) or user.has_perm(
        "communities.publish_resolution", meeting.community
    )


# ---------------------------------------------------------------------------------------------
# Who has not voted yet (the shortfall list)

ALL_BUILDINGS = "all"
SHORTFALL_ELECTORATES = (Electorate.OWNERS, Electorate.RESIDENTS, Electorate.HOUSEHOLDS)


def shortfall_scope(user, poll):
    """Who may see a poll's shortfall list (who has not voted, by building), and how much:
    `ALL_BUILDINGS` for its convening body (the residents' committee, and for an owners' poll
    the estate's owners' committee: any of their people), a frozenset of (estate id, building)
    for a building head (楼长) of those buildings, None for anyone else. The one definition the
    matter page, the list and its tests ask. It never gives choices, only who took part."""
    if poll.electorate not in SHORTFALL_ELECTORATES or poll.matter_id is None:
        return None
    if not user.is_authenticated or not user.is_active:
        return None
    bodies = [body_of_kind(poll.matter.community, Kind.RESIDENTS_COMMITTEE)]
    if poll.electorate == Electorate.OWNERS:
        bodies.append(owners_committee(poll.matter))
    if any(
        b is not None and user.has_perm("communities.speak_for_organization", b) for b in bodies
    ):
        return ALL_BUILDINGS
    heads = BuildingHead.objects.current().filter(user=user, estate__community=poll.community_id)
    if poll.electorate == Electorate.OWNERS:
        heads = heads.filter(estate=poll.estate_id)
    return frozenset(heads.values_list("estate_id", "building")) or None

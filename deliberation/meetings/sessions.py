"""Scheduling and running a meeting: the calendar and agenda, starting, adjourning and ending
the session, moving between agenda items, and handing the chair for one item."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.badges import badge_codes
from communities.models import Organization, Position
from deliberation import access, electorates, meeting_log, order
from deliberation import notify as notices
from deliberation.meetings.checks import require_chair, require_live
from deliberation.meetings.floor import end_speech, next_speaker
from deliberation.meetings.minutes import generate_minutes
from deliberation.meetings.room import electorate_user_ids, public_item_json
from deliberation.meetings.voting import close_live_poll
from deliberation.models import AgendaItem, Attendance, Meeting, Poll, SpeakerRequest
from deliberation.services.common import require_signed_in

Kind = Organization.Kind


# The 居民会议 is convened and chaired by the residents' committee (domain-rules §2).
CHAIRED_BY_RESIDENTS_COMMITTEE = {Meeting.Kind.RESIDENTS, Meeting.Kind.REPRESENTATIVES}


def schedule_meeting(
    actor,
    community,
    *,
    title,
    kind,
    scheduled_at,
    chair=None,
    place="",
    public=True,
    estate=None,
    rules_of_order=None,
    agenda=(),
) -> Meeting:
    """Put a meeting on the calendar with its agenda: (title, matter or None) pairs."""
    require_signed_in(actor)
    if kind not in Meeting.Kind.values:
        raise ValidationError(_("Choose the kind of meeting."))
    if kind == Meeting.Kind.OWNERS:
        if estate is None or estate.community_id != community.pk:
            raise ValidationError(_("An owners' assembly needs its estate."))
        scope = estate
    else:
        estate, scope = None, community
    chair = chair or actor
    if not actor.has_perm("communities.chair_meeting", scope):
        raise PermissionDenied(_("Only those who chair meetings may schedule one."))
    if not chair.has_perm("communities.chair_meeting", scope):
        raise ValidationError(_("The chair must be someone who may chair meetings."))
    if kind in CHAIRED_BY_RESIDENTS_COMMITTEE:
        rc = access.body_of_kind(community, Kind.RESIDENTS_COMMITTEE)
        if rc is None or not (
            chair.is_superuser
            or Position.objects.current().filter(organization=rc, user=chair).exists()
        ):
            raise ValidationError(_("The residents' committee convenes and chairs this meeting."))
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise ValidationError(_("Give the meeting a title of at most 120 characters."))
    try:
        rules_json = order.RulesOfOrder.from_json(rules_of_order or {}).to_json()
    except ValueError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        meeting = Meeting.objects.create(
            community=community,
            title=title,
            kind=kind,
            estate=estate,
            chair=chair,
            scheduled_at=scheduled_at,
            place=(place or "").strip()[:120],
            public=bool(public),
            rules=rules_json,
            created_by=actor,
        )
        for position, (item_title, matter) in enumerate(agenda):
            add_agenda_item(actor, meeting, title=item_title, matter=matter, position=position)
        audit.record(
            actor,
            "meeting.scheduled",
            meeting,
            community=community,
            data={"kind": kind, "chair": chair.pk},
        )
        tell_invitees(meeting, actor)
    return meeting


def tell_invitees(meeting, actor) -> int:
    """A meeting was scheduled: its invitees are told (those its quorum counts; for a meeting
    of organisations, the people of the community's bodies)."""
    invitees = electorate_user_ids(meeting)
    if invitees is None:
        bodies = Organization.objects.filter(community=meeting.community).exclude(
            kind__in=electorates.ABOVE_COMMUNITY
        )
        ids = notices.people_of(bodies)
    else:
        ids = {uid for row in invitees for uid in row.values()}  # rows of one id each
    when = formats.date_format(timezone.localtime(meeting.scheduled_at), "Y-m-d H:i")
    return notices.notify(
        ids,
        "meeting_scheduled",
        data={"meeting": meeting.title, "when": when, "meeting_id": meeting.pk},
        exclude=actor,
        reach=True,
    )


def add_agenda_item(actor, meeting, *, title, matter=None, position=None) -> AgendaItem:
    """Add an item to the agenda, optionally tied to a matter of the same community."""
    require_signed_in(actor)
    if not access.may_chair(actor, meeting) and not (
        meeting.status == Meeting.Status.SCHEDULED and meeting.created_by_id == actor.pk
    ):
        raise PermissionDenied(_("Only the meeting's chair may change the agenda."))
    if meeting.status == Meeting.Status.ENDED:
        raise ValidationError(_("The meeting has ended."))
    title = (title or "").strip() or (matter.title if matter else "")
    if not title or len(title) > 200:
        raise ValidationError(_("Give the agenda item a title of at most 200 characters."))
    if matter is not None and matter.community_id != meeting.community_id:
        raise ValidationError(_("The matter must belong to the meeting's community."))
    if (
        matter is not None
        and matter.estate_id
        and meeting.estate_id not in (None, matter.estate_id)
    ):
        raise ValidationError(_("This meeting's owners do not vote on another estate's matter."))
    if position is None:
        position = (meeting.items.aggregate(n=Max("position"))["n"] or 0) + 1
    with transaction.atomic():
        item = AgendaItem.objects.create(
            meeting=meeting, title=title, matter=matter, position=position
        )
        if meeting.status != Meeting.Status.SCHEDULED:
            locked = meeting_log.locked(meeting)
            meeting_log.append(locked, "agenda.added", public_item_json(item), actor=actor)
    return item


def start_meeting(actor, meeting) -> Meeting:
    """Open the session: the room goes live and the first item becomes current."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        if meeting.status not in (Meeting.Status.SCHEDULED, Meeting.Status.ADJOURNED):
            raise ValidationError(_("The meeting cannot be started now."))
        now = timezone.now()
        meeting.status = Meeting.Status.LIVE
        meeting.started_at = meeting.started_at or now
        first = meeting.current_item or meeting.items.order_by("position", "id").first()
        if first is not None and first.started_at is None:
            AgendaItem.objects.filter(pk=first.pk).update(started_at=now)
        meeting.current_item = first
        meeting.save(update_fields=["status", "started_at", "current_item"])
        meeting_log.append(
            meeting,
            "meeting.status",
            {"status": meeting.status, "item": first.pk if first else None},
            actor=actor,
        )
        audit.record(actor, "meeting.started", meeting, community=meeting.community)
    return meeting


def adjourn_meeting(actor, meeting) -> Meeting:
    """Suspend the session; it can be started again."""
    return _set_status(actor, meeting, Meeting.Status.ADJOURNED, "meeting.adjourned")


def end_meeting(actor, meeting) -> Meeting:
    """Close the session for good, ending any speech, and draft the minutes."""
    meeting = _set_status(actor, meeting, Meeting.Status.ENDED, "meeting.ended")
    generate_minutes(actor, meeting)
    return meeting


def _set_status(actor, meeting, status, verb):
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        if meeting.status != Meeting.Status.LIVE:
            raise ValidationError(_("The meeting is not in session."))
        now = timezone.now()
        end_speech(meeting, actor, now, reason="meeting")
        # The room's votes end with the sitting, except one whose closing time was announced:
        # it runs on to that time (the clock closes it).
        open_polls = Poll.objects.filter(agenda_item__meeting=meeting, status=Poll.Status.OPEN)
        for poll in open_polls.exclude(closes_at__gt=now):
            close_live_poll(meeting, actor, poll)
        meeting.status = status
        if status == Meeting.Status.ENDED:
            meeting.ended_at = now
            if meeting.current_item_id:
                AgendaItem.objects.filter(pk=meeting.current_item_id).update(ended_at=now)
            Attendance.objects.filter(meeting=meeting, left_at__isnull=True).update(left_at=now)
            meeting_log.figures_changed(meeting, "presence")
        meeting.save(update_fields=["status", "ended_at"])
        meeting_log.append(meeting, "meeting.status", {"status": status}, actor=actor)
        audit.record(actor, verb, meeting, community=meeting.community)
    return meeting


def goto_item(actor, meeting, item_id: int) -> Meeting:
    """Move the room to another agenda item; a speech in progress ends."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        require_live(meeting)
        item = meeting.items.filter(pk=item_id).first()
        if item is None:
            raise ValidationError(_("No such agenda item."))
        now = timezone.now()
        end_speech(meeting, actor, now, reason="agenda")
        if meeting.current_item_id and meeting.current_item_id != item.pk:
            AgendaItem.objects.filter(pk=meeting.current_item_id, ended_at__isnull=True).update(
                ended_at=now
            )
        SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.WAITING).update(
            status=SpeakerRequest.Status.LOWERED
        )
        AgendaItem.objects.filter(pk=item.pk, started_at__isnull=True).update(started_at=now)
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
        meeting_log.append(
            meeting,
            "agenda.current",
            {"item": item.pk, "next_speaker": next_speaker(meeting)},
            actor=actor,
        )
    return meeting


def hand_chair(actor, meeting, user) -> AgendaItem:
    """The chair hands the chair to someone else for the current item only."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        require_live(meeting)
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        if not user.has_perm("communities.chair_meeting", access.chair_scope(meeting)):
            raise ValidationError(_("The chair can only be handed to someone who may chair."))
        item.acting_chair = None if user.pk == meeting.chair_id else user
        item.save(update_fields=["acting_chair"])
        meeting_log.append(
            meeting,
            "chair.handed",
            {
                "item": item.pk,
                "user": user.pk,
                "name": str(user),
                "badges": badge_codes(meeting.community_id, user.pk),
            },
            actor=actor,
        )
        audit.record(
            actor,
            "meeting.chair_handed",
            meeting,
            community=meeting.community,
            data={"item": item.pk, "to": user.pk},
        )
    return item

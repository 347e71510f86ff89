"""Services for live meetings: the only way a meeting's state changes.

Every action checks permission, changes rows in one transaction, appends a MeetingEvent with the
meeting's next `seq` (under a row lock on the meeting, so numbers never repeat or skip), writes
an audit event where the action matters to the record, and publishes the event on commit. A
client that misses a broadcast repairs itself from the log with `resume`; nothing it is shown
exists only in memory.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import audit
from communities.events import publish_on_commit
from communities.models import Membership, Organization, Position
from deliberation import access, electorates, order, procedures, rules, services
from deliberation.models import (
    AgendaItem,
    Attendance,
    ChatMessage,
    Electorate,
    Meeting,
    MeetingEvent,
    Minutes,
    Poll,
    SpeakerRequest,
)
from deliberation.text import render_markdown, render_markdown_lite

Kind = Organization.Kind

# What each kind of meeting votes by when an agenda item has no matter to take the rule from.
MEETING_POLLS = {
    Meeting.Kind.COUNCIL: (Electorate.BODY, rules.Rule.COUNCIL),
    Meeting.Kind.RESIDENTS: (Electorate.RESIDENTS, rules.Rule.RESIDENTS_MEETING),
    Meeting.Kind.REPRESENTATIVES: (Electorate.RESIDENTS, rules.Rule.RESIDENTS_MEETING),
    Meeting.Kind.JOINT: (Electorate.ORGANIZATIONS, rules.Rule.SIMPLE_MAJORITY),
    Meeting.Kind.OWNERS: (Electorate.OWNERS, rules.Rule.OWNERS_ORDINARY),
    Meeting.Kind.REVIEW: (Electorate.RESIDENTS, rules.Rule.SIMPLE_MAJORITY),
}
# The 居民会议 is convened and chaired by the residents' committee (domain-rules §2).
CHAIRED_BY_RESIDENTS_COMMITTEE = {Meeting.Kind.RESIDENTS, Meeting.Kind.REPRESENTATIVES}


def rules_of(meeting) -> order.RulesOfOrder:
    """The meeting's rules of order, with the defaults for anything it does not set."""
    return order.RulesOfOrder.from_json(meeting.rules)


# ---------------------------------------------------------------------------------------------
# Who may do what


def _authenticated(user):
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Please sign in first."))


def _chair_scope(meeting):
    return meeting.estate if meeting.kind == Meeting.Kind.OWNERS else meeting.community


def may_chair(user, meeting) -> bool:
    """The meeting's chair (or the item's acting chair) who still holds chair_meeting."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    item = meeting.current_item
    holders = {meeting.chair_id}
    if item is not None and item.acting_chair_id:
        holders = {item.acting_chair_id}
    return user.pk in holders and user.has_perm("communities.chair_meeting", _chair_scope(meeting))


def _require_chair(user, meeting):
    _authenticated(user)
    if not may_chair(user, meeting):
        raise PermissionDenied(_("Only the meeting's chair may do that."))


def may_attend(user, meeting) -> bool:
    """Public meetings are open to anyone signed in; others to members and officials."""
    if not user.is_authenticated or not user.is_active:
        return False
    if meeting.public or user.is_superuser or meeting.chair_id == user.pk:
        return True
    return is_insider(user, meeting.community_id)


def is_insider(user, community_id) -> bool:
    """A verified resident or a current official of the community."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.verified().filter(community=community_id, user=user).exists()
        or Position.objects.current()
        .filter(user=user, organization__community=community_id)
        .exists()
    )


def may_edit_minutes(user, meeting) -> bool:
    """The residents' committee (holders of publish_resolution) edits and publishes minutes."""
    return user.is_authenticated and user.has_perm(
        "communities.publish_resolution", meeting.community
    )


def may_take_part(user, meeting) -> bool:
    """Raising a hand and chatting: those who may comment in the community."""
    return may_attend(user, meeting) and user.has_perm("communities.comment", meeting.community)


def _require_live(meeting):
    if meeting.status != Meeting.Status.LIVE:
        raise ValidationError(_("The meeting is not in session."))


def _locked(meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("community", "estate", "current_item")
        .get(pk=meeting.pk)
    )


# ---------------------------------------------------------------------------------------------
# The event log


def _event(meeting, kind: str, data: dict, *, actor=None, audience: str = "all") -> MeetingEvent:
    """Append the next numbered event (the meeting row must be locked) and publish on commit."""
    meeting.seq += 1
    Meeting.objects.filter(pk=meeting.pk).update(seq=meeting.seq)
    event = MeetingEvent.objects.create(
        meeting=meeting,
        seq=meeting.seq,
        kind=kind,
        data=data,
        audience=audience,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )
    publish_on_commit(
        "meeting.event",
        community_id=meeting.community_id,
        data={
            "meeting": meeting.pk,
            "seq": event.seq,
            "kind": kind,
            "data": data,
            "audience": audience,
        },
    )
    return event


def _dirty(meeting, what: str, **extra):
    """Tell the room hubs that a coalesced figure (presence, tally) changed; they batch it."""
    publish_on_commit(
        "meeting.dirty",
        community_id=meeting.community_id,
        data={"meeting": meeting.pk, "what": what, **extra},
    )


def tally_changed(poll) -> None:
    """Ballots were cast in a poll run in a meeting, in the room or on the matter's page: its
    rooms' tallies follow (deliberation.services.cast_ballots calls this)."""
    meeting = Meeting.objects.filter(items=poll.agenda_item_id).only("pk", "community_id").first()
    if meeting is not None:
        _dirty(meeting, "tally", poll=poll.pk)


def events_since(meeting, since: int, user, *, limit: int = 500) -> list[MeetingEvent] | None:
    """Events after `since` that `user` may see, oldest first; None if more than `limit`."""
    audiences = ["all", f"user:{user.pk}"]
    if may_chair(user, meeting):
        audiences.append("chair")
    qs = MeetingEvent.objects.filter(meeting=meeting, seq__gt=since, audience__in=audiences)
    events = list(qs.order_by("seq")[: limit + 1])
    return None if len(events) > limit else events


# ---------------------------------------------------------------------------------------------
# Scheduling and running


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
    _authenticated(actor)
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
    return meeting


def add_agenda_item(actor, meeting, *, title, matter=None, position=None) -> AgendaItem:
    """Add an item to the agenda, optionally tied to a matter of the same community."""
    _authenticated(actor)
    if not may_chair(actor, meeting) and not (
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
    if position is None:
        position = (meeting.items.aggregate(n=Max("position"))["n"] or 0) + 1
    with transaction.atomic():
        item = AgendaItem.objects.create(
            meeting=meeting, title=title, matter=matter, position=position
        )
        if meeting.status != Meeting.Status.SCHEDULED:
            locked = _locked(meeting)
            _event(locked, "agenda.added", _item_json(item), actor=actor)
    return item


def start_meeting(actor, meeting) -> Meeting:
    """Open the session: the room goes live and the first item becomes current."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
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
        _event(
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
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        if meeting.status != Meeting.Status.LIVE:
            raise ValidationError(_("The meeting is not in session."))
        now = timezone.now()
        _end_speech(meeting, actor, now, reason="meeting")
        for poll in Poll.objects.filter(agenda_item__meeting=meeting, status=Poll.Status.OPEN):
            _close_poll(meeting, actor, poll)
        meeting.status = status
        if status == Meeting.Status.ENDED:
            meeting.ended_at = now
            if meeting.current_item_id:
                AgendaItem.objects.filter(pk=meeting.current_item_id).update(ended_at=now)
            Attendance.objects.filter(meeting=meeting, left_at__isnull=True).update(left_at=now)
            _dirty(meeting, "presence")
        meeting.save(update_fields=["status", "ended_at"])
        _event(meeting, "meeting.status", {"status": status}, actor=actor)
        audit.record(actor, verb, meeting, community=meeting.community)
    return meeting


def goto_item(actor, meeting, item_id: int) -> Meeting:
    """Move the room to another agenda item; a speech in progress ends."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        _require_live(meeting)
        item = meeting.items.filter(pk=item_id).first()
        if item is None:
            raise ValidationError(_("No such agenda item."))
        now = timezone.now()
        _end_speech(meeting, actor, now, reason="agenda")
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
        _event(meeting, "agenda.current", {"item": item.pk}, actor=actor)
    return meeting


def hand_chair(actor, meeting, user) -> AgendaItem:
    """The chair hands the chair to someone else for the current item only."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        _require_live(meeting)
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        if not user.has_perm("communities.chair_meeting", _chair_scope(meeting)):
            raise ValidationError(_("The chair can only be handed to someone who may chair."))
        item.acting_chair = None if user.pk == meeting.chair_id else user
        item.save(update_fields=["acting_chair"])
        _event(
            meeting,
            "chair.handed",
            {"item": item.pk, "user": user.pk, "name": str(user)},
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


# ---------------------------------------------------------------------------------------------
# Presence


def join(user, meeting) -> Attendance:
    """Record that the user is in the room (one open stay, however many tabs)."""
    if not may_attend(user, meeting):
        raise PermissionDenied(_("This meeting is for members of the community."))
    with transaction.atomic():
        stay = (
            Attendance.objects.select_for_update()
            .filter(meeting=meeting, user=user, left_at__isnull=True)
            .first()
        )
        if stay is None:
            try:
                with transaction.atomic():
                    stay = Attendance.objects.create(meeting=meeting, user=user)
            except IntegrityError:
                stay = Attendance.objects.select_for_update().get(
                    meeting=meeting, user=user, left_at__isnull=True
                )
                stay.connections += 1
                stay.save(update_fields=["connections"])
        else:
            stay.connections += 1
            stay.save(update_fields=["connections"])
        _dirty(meeting, "presence")
    return stay


def leave(user, meeting) -> None:
    """One connection closed; the stay ends when the user's last connection does."""
    with transaction.atomic():
        stay = (
            Attendance.objects.select_for_update()
            .filter(meeting=meeting, user=user, left_at__isnull=True)
            .first()
        )
        if stay is None:
            return
        stay.connections = max(stay.connections - 1, 0)
        if stay.connections == 0:
            stay.left_at = timezone.now()
        stay.save(update_fields=["connections", "left_at"])
        _dirty(meeting, "presence")


def end_open_stays(meeting) -> int:
    """End every open stay in the room: for a server that alone serves the room and starts it
    afresh, so that stays left open by a server process that died (SIGKILL, out of memory)
    stop counting as presence and towards the quorum. Returns how many were ended."""
    return Attendance.objects.filter(meeting_id=meeting.pk, left_at__isnull=True).update(
        left_at=timezone.now(), connections=0
    )


def electorate_user_ids(meeting):
    """The people the quorum counts, as a query of user ids (None: everyone present counts, as
    when organisations meet). A query, not a set: rooms of thousands count it in the database."""
    electorate, _rule = MEETING_POLLS[meeting.kind]
    if electorate == Electorate.BODY:
        council = access.body_of_kind(meeting.community, Kind.COUNCIL)
        return Position.objects.current().filter(organization=council).values("user_id")
    if electorate == Electorate.RESIDENTS:
        return (
            Membership.objects.verified().filter(community=meeting.community_id).values("user_id")
        )
    if electorate == Electorate.OWNERS:
        from communities.models import Ownership

        return (
            Ownership.objects.current()
            .filter(unit__estate=meeting.estate_id, is_voter=True)
            .values("owner_id")
            .distinct()
        )
    return None


def _quorum_threshold(meeting) -> str:
    settings = meeting.community.settings
    if meeting.kind == Meeting.Kind.RESIDENTS:
        return rules.setting(settings, "residents_meeting.quorum")
    if meeting.kind == Meeting.Kind.REPRESENTATIVES:
        return rules.setting(settings, "representatives_meeting.quorum")
    if meeting.kind == Meeting.Kind.OWNERS:
        return ">=2/3"
    return rules_of(meeting).quorum


def presence(meeting) -> dict:
    """Who is in the room now: counts by role for everyone, and the quorum (a handful of
    aggregate queries, however many are present)."""
    present = Attendance.objects.filter(meeting=meeting, left_at__isnull=True)
    total = present.count()
    roles = {}
    if total:
        officials = Position.objects.current().filter(
            user__in=present.values("user_id"), organization__community=meeting.community_id
        )
        roles = {
            row["organization__kind"]: row["n"]
            for row in officials.values("organization__kind").annotate(
                n=Count("user_id", distinct=True)
            )
        }
        roles["resident"] = total - officials.values("user_id").distinct().count()
    electorate = electorate_user_ids(meeting)
    if electorate is None:
        counted, base = total, total
    else:
        counted = present.filter(user__in=electorate).count() if total else 0
        base = electorate.count()
    q = order.quorum(counted, base, _quorum_threshold(meeting))
    return {
        "total": total,
        "by_role": roles,
        "quorum": {
            "present": q.present,
            "base": q.base,
            "needed": q.needed,
            "met": q.met,
            "threshold": q.threshold,
        },
    }


PRESENT_NAMES_SHOWN = 500  # a named list longer than this helps no chair; the count is in presence


def present_names(meeting) -> list[dict]:
    """The named list of those present, for the chair: the first arrivals, at most 500."""
    stays = Attendance.objects.filter(meeting=meeting, left_at__isnull=True).select_related("user")
    return [
        {"id": s.user_id, "name": str(s.user)}
        for s in stays.order_by("joined_at", "pk")[:PRESENT_NAMES_SHOWN]
    ]


# ---------------------------------------------------------------------------------------------
# Speakers


def _speeches_on(meeting, item) -> dict[int, int]:
    rows = (
        SpeakerRequest.objects.filter(
            meeting=meeting,
            item=item,
            status__in=[SpeakerRequest.Status.SPEAKING, SpeakerRequest.Status.DONE],
        )
        .values("user_id")
        .annotate(n=Count("id"))
    )
    return {row["user_id"]: row["n"] for row in rows}


# Lazy: the refusal is worded when it is raised, in the language of whoever asked.
REFUSALS = {
    "bad_side": gettext_lazy("Choose pro, con or neutral."),
    "already_waiting": gettext_lazy("Your hand is already raised."),
    "speech_limit": gettext_lazy(
        "You have already spoken as often as the rules allow on this item."
    ),
    "not_recognised": gettext_lazy("Only the person the chair recognised may take the floor."),
}


def _refuse(code):
    raise ValidationError(str(REFUSALS[code]), code=code)


def raise_hand(user, meeting, side: str = order.NEUTRAL) -> SpeakerRequest:
    """Ask for the floor on the current item, saying which side you will speak for."""
    _authenticated(user)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_live(meeting)
        if not may_take_part(user, meeting):
            raise PermissionDenied(_("Only members of the community may ask for the floor."))
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        rules_ = rules_of(meeting)
        if not rules_.alternate and side not in order.SIDES:
            side = order.NEUTRAL
        waiting = set(
            SpeakerRequest.objects.filter(
                meeting=meeting,
                status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING],
            ).values_list("user_id", flat=True)
        )
        code = order.may_raise_hand(user.pk, _speeches_on(meeting, item), waiting, side, rules_)
        if code:
            _refuse(code)
        hand = SpeakerRequest.objects.create(
            meeting=meeting, item=item, user=user, side=side, raised_seq=meeting.seq + 1
        )
        _event(
            meeting,
            "hand.raised",
            {"user": user.pk, "name": str(user), "side": side, "item": item.pk},
            actor=user,
        )
    return hand


def lower_hand(user, meeting) -> None:
    """Withdraw your own raised hand."""
    _authenticated(user)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_live(meeting)
        changed = SpeakerRequest.objects.filter(
            meeting=meeting, user=user, status=SpeakerRequest.Status.WAITING
        ).update(status=SpeakerRequest.Status.LOWERED)
        if not changed:
            raise ValidationError(_("Your hand is not raised."))
        _event(meeting, "hand.lowered", {"user": user.pk}, actor=user)


def grant_floor(actor, meeting, user_id: int) -> SpeakerRequest:
    """The chair recognises a waiting speaker, who gets the floor for the speech time."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        _require_live(meeting)
        hand = SpeakerRequest.objects.filter(
            meeting=meeting, user_id=user_id, status=SpeakerRequest.Status.WAITING
        ).first()
        if hand is None:
            _refuse("not_recognised")
        rules_ = rules_of(meeting)
        code = order.refusal_to_speak(
            user_id, _speeches_on(meeting, hand.item), rules_, recognised=True
        )
        if code:
            _refuse(code)
        now = timezone.now()
        _end_speech(meeting, actor, now, reason="next")
        hand.status = SpeakerRequest.Status.SPEAKING
        hand.granted_at = now
        hand.save(update_fields=["status", "granted_at"])
        ends = order.floor_deadline(now, rules_)
        _event(
            meeting,
            "floor.granted",
            {
                "user": hand.user_id,
                "name": str(hand.user),
                "side": hand.side,
                "started_at": now.isoformat(),
                "ends_at": ends.isoformat(),
                "seconds": rules_.speech_seconds,
                "item": hand.item_id,
            },
            actor=actor,
        )
    return hand


def _end_speech(meeting, actor, now, *, reason: str) -> SpeakerRequest | None:
    speaking = SpeakerRequest.objects.filter(
        meeting=meeting, status=SpeakerRequest.Status.SPEAKING
    ).first()
    if speaking is None:
        return None
    speaking.status = SpeakerRequest.Status.DONE
    speaking.ended_at = now
    speaking.save(update_fields=["status", "ended_at"])
    seconds = int((now - speaking.granted_at).total_seconds())
    _event(
        meeting,
        "floor.ended",
        {"user": speaking.user_id, "seconds": seconds, "reason": reason},
        actor=actor,
    )
    return speaking


def end_floor(actor, meeting) -> None:
    """The chair, or the speaker themself, ends the current speech."""
    _authenticated(actor)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_live(meeting)
        speaking = SpeakerRequest.objects.filter(
            meeting=meeting, status=SpeakerRequest.Status.SPEAKING
        ).first()
        if speaking is None:
            raise ValidationError(_("Nobody has the floor."))
        if speaking.user_id != actor.pk and not may_chair(actor, meeting):
            raise PermissionDenied(_("Only the chair or the speaker may end the speech."))
        _end_speech(meeting, actor, timezone.now(), reason="ended")


def end_floor_if_expired(meeting, now=None) -> bool:
    """End the speech whose time is up (any process's room hub may call this; it is idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting)
        speaking = SpeakerRequest.objects.filter(
            meeting=meeting, status=SpeakerRequest.Status.SPEAKING
        ).first()
        if speaking is None or not order.floor_expired(speaking.granted_at, now, rules_of(meeting)):
            return False
        _end_speech(meeting, None, now, reason="time")
        return True


# ---------------------------------------------------------------------------------------------
# Chat


def send_chat(user, meeting, text: str) -> ChatMessage:
    """Post a chat line on the current item (Markdown-lite: bold, italics, code, links)."""
    _authenticated(user)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write something first."))
    if len(text) > 2000:
        raise ValidationError(_("A chat message may have at most 2000 characters."))
    html = render_markdown_lite(text)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_live(meeting)
        if not may_take_part(user, meeting):
            raise PermissionDenied(_("Only members of the community may chat here."))
        message = ChatMessage.objects.create(
            meeting=meeting, item=meeting.current_item, author=user, text=text, html=html
        )
        _event(
            meeting,
            "chat.message",
            {
                "id": message.pk,
                "user": user.pk,
                "name": str(user),
                "html": html,
                "item": meeting.current_item_id,
                "at": message.created_at.isoformat(),
            },
            actor=user,
        )
    return message


# ---------------------------------------------------------------------------------------------
# Live polls: the same services and rules as HTTP polls


def open_poll(
    actor,
    meeting,
    *,
    question: str,
    kind: str = "yes_no_abstain",
    choices=(),
    secret=False,
    results_hidden=False,
    law_item=None,
    poll_id=None,
) -> Poll:
    """Open a vote on the current item: the matter's stage poll if it has one, else the
    meeting's own, decided by the rule for this kind of meeting."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        _require_live(meeting)
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        if poll_id is not None:
            # An agenda poll frozen into a notice (owners' decisions) is opened, not created.
            poll = Poll.objects.filter(pk=poll_id, matter=item.matter_id).first()
            if poll is None or item.matter_id is None:
                raise ValidationError(_("No such poll on this item."))
            poll = services.open_poll(actor, poll)
        elif item.matter is not None and procedures.CREATE_POLL in item.matter.stage_spec.actions:
            poll = services.create_poll(
                actor,
                item.matter,
                question=question,
                kind=kind,
                choices=choices,
                secret=secret,
                results_hidden=results_hidden,
                law_item=law_item,
            )
        else:
            poll = _meeting_poll(
                actor,
                meeting,
                item,
                question=question,
                kind=kind,
                choices=choices,
                secret=secret,
                results_hidden=results_hidden,
                law_item=law_item,
            )
        Poll.objects.filter(pk=poll.pk).update(agenda_item=item)
        poll.agenda_item = item
        _event(meeting, "poll.opened", poll_json(poll), actor=actor)
    return poll


def _meeting_poll(
    actor, meeting, item, *, question, kind, choices, secret, results_hidden, law_item
) -> Poll:
    from deliberation.models import Choice

    question = (question or "").strip()
    if not question or len(question) > 200:
        raise ValidationError(_("Write the question (at most 200 characters)."))
    electorate, rule = MEETING_POLLS[meeting.kind]
    params = {}
    body = estate = None
    settings = meeting.community.settings
    if rule == rules.Rule.COUNCIL:
        rules_ = rules_of(meeting)
        params = {"quorum": rules_.quorum, "mode": rules_.pass_rule}
        if rules_.pass_rule == rules.MAJORITY_OF_MEMBERS:
            params["pass"] = rules.setting(settings, "council.pass")
        body = access.body_of_kind(meeting.community, Kind.COUNCIL)
        if body is None:
            raise ValidationError(_("This community has no deliberation council."))
    elif meeting.kind == Meeting.Kind.REPRESENTATIVES:
        params = rules.representatives_meeting_params(settings)
    elif rule == rules.Rule.RESIDENTS_MEETING:
        params = rules.residents_meeting_params(settings)
    elif electorate == Electorate.OWNERS:
        if law_item not in range(1, 10):
            raise ValidationError(_("Choose which Art. 278 item this vote decides (1–9)."))
        rule = rules.Rule.OWNERS_SPECIAL if law_item in services.SPECIAL_ITEMS else rule
        estate = meeting.estate
    # A live multiple-choice ballot may tick any of the choices.
    filled = [c for c in choices or () if c and c.strip()]
    options, max_choices = services.poll_options(kind, filled, max(len(filled), 1))
    poll = Poll.objects.create(
        community=meeting.community,
        matter=item.matter,
        agenda_item=item,
        question=question,
        kind=kind,
        max_choices=max_choices,
        electorate=electorate,
        estate=estate,
        body=body,
        rule=rule,
        params=params,
        law_item=law_item if estate else None,
        secret=bool(secret),
        results_hidden=bool(results_hidden),
        created_by=actor,
    )
    Choice.objects.bulk_create(
        [Choice(poll=poll, code=c, label=label, position=i) for i, (c, label) in enumerate(options)]
    )
    audit.record(
        actor,
        "poll.created",
        poll,
        community=meeting.community,
        data={"meeting": meeting.pk, "rule": rule, "electorate": electorate},
    )
    services._open(actor, poll, timezone.now())
    return poll


def _close_poll(meeting, actor, poll) -> Poll:
    poll = services.close_poll(actor, poll, system=True)
    _event(meeting, "poll.closed", {**poll_json(poll), "result": poll.result}, actor=actor)
    return poll


def close_poll(actor, meeting, poll_id: int) -> Poll:
    """Close a live poll: the result is frozen by the same rules as any poll, and sent to all."""
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_chair(actor, meeting)
        poll = Poll.objects.filter(
            pk=poll_id, agenda_item__meeting=meeting, status=Poll.Status.OPEN
        ).first()
        if poll is None:
            raise ValidationError(_("No open poll with that number in this meeting."))
        return _close_poll(meeting, actor, poll)


def cast(user, meeting, poll_id: int, choices, organization=None) -> dict:
    """Vote in a live poll of this meeting, through the one ballot service."""
    outcome = cast_many(meeting, poll_id, [(user, choices, organization)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def cast_many(meeting, poll_id: int, entries) -> list:
    """Many live ballots in one transaction (the room hub's group commit): (user, choices,
    organization) triples in, one outcome dict or refusal per entry out, in order."""
    poll = Poll.objects.filter(pk=poll_id, agenda_item__meeting=meeting).first()
    if poll is None:
        return [ValidationError(_("No such poll in this meeting."))] * len(entries)
    # The caller's copy may predate the start: read the status now.
    status = Meeting.objects.filter(pk=meeting.pk).values_list("status", flat=True).first()
    if status != Meeting.Status.LIVE:
        return [ValidationError(_("The meeting is not in session."))] * len(entries)
    # The ballot service itself tells the rooms that the tally changed.
    return services.cast_ballots(poll, entries)


def poll_json(poll) -> dict:
    """What every client may know of a poll (results only where the poll shows them)."""
    return {
        "id": poll.pk,
        "question": poll.question,
        "kind": poll.kind,
        "max_choices": poll.max_choices,
        "choices": [{"code": c.code, "label": c.display} for c in poll.choices.all()],
        "status": poll.status,
        "secret": poll.secret,
        "results_hidden": poll.results_hidden,
        "rule": poll.rule,
        "rule_label": str(poll.get_rule_display()),
        "electorate": poll.electorate,
        "item": poll.agenda_item_id,
    }


def live_tally(poll) -> dict:
    """The coalesced live figure: turnout always; counts only where results are shown live."""
    result = poll.result if poll.is_closed else services.tally(poll)
    data = {
        "poll": poll.pk,
        "turnout": result["participation"]["heads"],
        "electorate": result["electorate"]["heads"],
        "status": poll.status,
    }
    if poll.is_closed or not poll.results_hidden:
        data["counts"] = {code: cell["heads"] for code, cell in result["counts"].items()}
        if poll.electorate == Electorate.OWNERS:
            data["area"] = {code: cell["area"] for code, cell in result["counts"].items()}
    return data


# ---------------------------------------------------------------------------------------------
# Snapshot


def _item_json(item) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "position": item.position,
        "matter": item.matter.reference if item.matter_id else None,
        "matter_url": item.matter.get_absolute_url() if item.matter_id else None,
        "acting_chair": item.acting_chair_id,
        "done": item.ended_at is not None,
    }


def snapshot(meeting, user) -> dict:
    """The whole room as this user may see it, with the seq it is current to."""
    room = room_state(meeting)
    return personalise(room, personal_state(meeting, user, room))


def room_state(meeting) -> dict:
    """The part of the snapshot that is the same for everyone (in the active language), so a
    process can build it once for many joiners (realtime/hub.py caches it until the next event
    or figure update). `personal_state` completes it for one person."""
    meeting = Meeting.objects.select_related("community", "chair", "current_item").get(
        pk=meeting.pk
    )
    rules_ = rules_of(meeting)
    items = list(meeting.items.select_related("matter__community"))
    hands = list(
        SpeakerRequest.objects.filter(
            meeting=meeting,
            status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING],
        ).select_related("user")
    )
    speaker = next((h for h in hands if h.status == SpeakerRequest.Status.SPEAKING), None)
    queue = [h for h in hands if h.status == SpeakerRequest.Status.WAITING]
    polls = list(
        Poll.objects.filter(agenda_item__meeting=meeting).prefetch_related("choices").order_by("id")
    )
    chat = list(
        ChatMessage.objects.filter(meeting=meeting).select_related("author").order_by("-id")[:50]
    )
    poll_views = []
    for poll in polls:
        view = poll_json(poll)
        view["tally"] = live_tally(poll)
        if poll.is_closed:
            view["result"] = poll.result
        poll_views.append(view)
    data = {
        "seq": meeting.seq,
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "kind": meeting.kind,
            "kind_label": str(meeting.get_kind_display()),
            "status": meeting.status,
            "chair": meeting.chair_id,
            "chair_name": str(meeting.chair),
            "public": meeting.public,
            "current_item": meeting.current_item_id,
        },
        "rules": rules_.to_json(),
        "agenda": [_item_json(item) for item in items],
        "speaker": None,
        "queue": [{"user": h.user_id, "name": str(h.user), "side": h.side} for h in queue],
        "polls": poll_views,
        "chat": [
            {
                "id": m.pk,
                "user": m.author_id,
                "name": str(m.author),
                "html": m.html,
                "item": m.item_id,
                "at": m.created_at.isoformat(),
            }
            for m in reversed(chat)
        ],
        "presence": presence(meeting),
    }
    if speaker is not None:
        ends = order.floor_deadline(speaker.granted_at, rules_)
        data["speaker"] = {
            "user": speaker.user_id,
            "name": str(speaker.user),
            "side": speaker.side,
            "started_at": speaker.granted_at.isoformat(),
            "ends_at": ends.isoformat(),
            "seconds": rules_.speech_seconds,
        }
    return data


def personal_state(meeting, user, room: dict | None = None) -> dict:
    """What only this user sees: who they are, whether they chair, and per poll of `room` (a
    `room_state`, read now if not given) whether they have voted and may vote."""
    meeting = Meeting.objects.select_related("community", "current_item").get(pk=meeting.pk)
    is_chair = may_chair(user, meeting)
    poll_ids = [p["id"] for p in room["polls"]] if room is not None else None
    polls = Poll.objects.filter(agenda_item__meeting=meeting)
    if poll_ids is not None:
        polls = polls.filter(pk__in=poll_ids)
    mine = {}
    for poll in polls.order_by("id"):
        mine[poll.pk] = {
            "voted": services.has_voted(user, poll),
            "eligible": bool(electorates.slots(user, poll)) if poll.is_open else False,
        }
    data = {
        "you": {
            "id": user.pk,
            "name": str(user),
            "is_chair": is_chair,
            "may_take_part": may_take_part(user, meeting),
            # One vote per organisation: the bodies this person may cast it for.
            "organizations": [
                {"id": o.pk, "name": o.name}
                for o in access.speaking_bodies(user, meeting.community)
            ],
        },
        "mine": mine,
    }
    if is_chair:
        data["present"] = present_names(meeting)
    return data


def personalise(room: dict, personal: dict) -> dict:
    """One person's snapshot: the shared room with their own flags on each poll."""
    mine = personal.get("mine", {})
    polls = [
        {**poll, **mine.get(poll["id"], {"voted": False, "eligible": False})}
        for poll in room["polls"]
    ]
    data = {**room, **personal, "polls": polls}
    data.pop("mine", None)
    return data


def enter(user, meeting, room: dict) -> dict:
    """A socket joins: record the attendance and return this person's snapshot of `room`."""
    join(user, meeting)
    return personalise(room, personal_state(meeting, user, room))


# ---------------------------------------------------------------------------------------------
# Minutes


def _side_label(side: str) -> str:
    """A speaker's side in words (the room's own words for 正方 / 反方 / 中立)."""
    labels = {order.PRO: _("In favour"), order.CON: _("Against"), order.NEUTRAL: _("Neutral")}
    return labels.get(side, side)


def _minutes_text(meeting) -> str:
    """会议纪要 in Markdown, from the event log and the attendance register."""
    meeting = Meeting.objects.select_related("chair", "community").get(pk=meeting.pk)
    lines = [f"# {meeting.title}", ""]
    lines.append(
        _("%(kind)s · chaired by %(chair)s · %(date)s")
        % {
            "kind": meeting.get_kind_display(),
            "chair": meeting.chair,
            "date": timezone.localtime(meeting.started_at or meeting.scheduled_at).strftime(
                "%Y-%m-%d %H:%M"
            ),
        }
    )
    if meeting.place:
        lines.append(_("Place: %(place)s") % {"place": meeting.place})
    lines += ["", "## " + _("Attendance"), ""]
    stays = Attendance.objects.filter(meeting=meeting).select_related("user").order_by("joined_at")
    for stay in stays:
        left = timezone.localtime(stay.left_at).strftime("%H:%M") if stay.left_at else "—"
        lines.append(
            f"- {stay.user} ({timezone.localtime(stay.joined_at).strftime('%H:%M')}–{left})"
        )
    if not stays:
        lines.append(_("No attendance was recorded."))
    events = list(MeetingEvent.objects.filter(meeting=meeting, audience="all").order_by("seq"))
    speeches = order.speech_durations(
        (("granted" if e.kind == "floor.granted" else "ended"), e.data["user"], e.created_at)
        for e in events
        if e.kind in ("floor.granted", "floor.ended")
    )
    from django.contrib.auth import get_user_model

    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=speeches)}
    for item in meeting.items.select_related("matter").order_by("position", "id"):
        lines += ["", f"## {item.title}"]
        if item.matter_id:
            lines.append(_("Matter: %(ref)s") % {"ref": item.matter.reference})
        item_speakers = [
            e.data for e in events if e.kind == "floor.granted" and e.data.get("item") == item.pk
        ]
        if item_speakers:
            lines += ["", "### " + _("Speakers"), ""]
            seen = {}
            for data in item_speakers:
                seen.setdefault(data["user"], data.get("side", ""))
            for user_id, side in seen.items():
                durations = speeches.get(user_id, [])
                total = sum(durations)
                lines.append(
                    _("- %(name)s (%(side)s): %(n)d speech(es), %(m)d:%(s)02d in total")
                    % {
                        "name": names.get(user_id, user_id),
                        "side": _side_label(side),
                        "n": len(durations),
                        "m": total // 60,
                        "s": total % 60,
                    }
                )
        for poll in Poll.objects.filter(agenda_item=item, status=Poll.Status.CLOSED):
            result = poll.result
            counts = ", ".join(
                f"{c.display} {result['counts'][c.code]['heads']}" for c in poll.choices.all()
            )
            verdict = _("passed") if result["passed"] else _("not passed")
            lines += ["", "### " + _("Vote: %(q)s") % {"q": poll.question}, ""]
            lines.append(
                _("%(counts)s; %(n)d of %(base)d took part; %(verdict)s under %(rule)s.")
                % {
                    "counts": counts,
                    "n": result["participation"]["heads"],
                    "base": result["electorate"]["heads"],
                    "verdict": verdict,
                    "rule": poll.get_rule_display(),
                }
            )
    return "\n".join(str(line) for line in lines) + "\n"


def generate_minutes(actor, meeting) -> Minutes:
    """(Re)generate the draft minutes from the log; a published text is never overwritten."""
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
        if minutes is not None and minutes.status == Minutes.Status.PUBLISHED:
            return minutes
        text = _minutes_text(meeting)
        if minutes is None:
            minutes = Minutes.objects.create(meeting=meeting, text=text)
        elif minutes.edited_at is None:
            minutes.text, minutes.generated_at = text, timezone.now()
            minutes.save(update_fields=["text", "generated_at"])
        audit.record(actor, "minutes.generated", minutes, community=meeting.community)
    return minutes


def _require_minutes_editor(actor, meeting):
    _authenticated(actor)
    if not may_edit_minutes(actor, meeting):
        raise PermissionDenied(_("Only the residents' committee edits and publishes minutes."))


def edit_minutes(actor, meeting, *, text: str) -> Minutes:
    """The residents' committee edits the draft minutes."""
    _require_minutes_editor(actor, meeting)
    text = (text or "").strip()
    if not text or len(text) > 50000:
        raise ValidationError(_("The minutes must have some text (at most 50000 characters)."))
    render_markdown(text[:20000])
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(meeting=meeting)
        if minutes.status == Minutes.Status.PUBLISHED:
            raise ValidationError(_("Published minutes cannot be changed."))
        minutes.text, minutes.edited_by, minutes.edited_at = text, actor, timezone.now()
        minutes.save(update_fields=["text", "edited_by", "edited_at"])
        audit.record(actor, "minutes.edited", minutes, community=meeting.community)
    return minutes


def publish_minutes(actor, meeting) -> Minutes:
    """Publish the minutes; from now on they are fixed."""
    _require_minutes_editor(actor, meeting)
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(meeting=meeting)
        if minutes.status == Minutes.Status.PUBLISHED:
            raise ValidationError(_("The minutes are already published."))
        minutes.status, minutes.published_by = Minutes.Status.PUBLISHED, actor
        minutes.published_at = timezone.now()
        minutes.save(update_fields=["status", "published_by", "published_at"])
        audit.record(actor, "minutes.published", minutes, community=meeting.community)
    return minutes

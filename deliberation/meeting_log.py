"""A meeting's numbered event log, and the "a figure changed" notes: below the services that
append to it (meetings, and the ballot service) and the live room that reads it.

Events are numbered 1, 2, 3… per meeting under a row lock on the meeting, so numbers never
repeat or skip, and are published only once the transaction commits. A client that misses a
broadcast repairs itself from the log (`events_since`); nothing it is shown exists only in
memory.
"""

from communities.events import publish_on_commit
from deliberation import access
from deliberation.models import Meeting, MeetingEvent


def locked(meeting) -> Meeting:
    """Re-read the meeting under a row lock: the lock every numbered event is appended under."""
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("community", "estate", "current_item")
        .get(pk=meeting.pk)
    )


def append(meeting, kind: str, data: dict, *, actor=None, audience: str = "all") -> MeetingEvent:
    """Append the next numbered event (the meeting row must be `locked`) and publish on commit."""
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


def figures_changed(meeting, what: str, **extra) -> None:
    """Tell the room hubs that a coalesced figure (presence, tally) changed; they batch it."""
    publish_on_commit(
        "meeting.dirty",
        community_id=meeting.community_id,
        data={"meeting": meeting.pk, "what": what, **extra},
    )


def tally_changed(poll) -> None:
    """Ballots were cast in a poll run in a meeting, in the room or on the matter's page: its
    rooms' tallies follow (the ballot service calls this)."""
    if poll.agenda_item_id is None:
        return
    meeting = Meeting.objects.filter(items=poll.agenda_item_id).only("pk", "community_id").first()
    if meeting is not None:
        figures_changed(meeting, "tally", poll=poll.pk)


def events_since(meeting, since: int, user, *, limit: int = 500) -> list[MeetingEvent] | None:
    """Events after `since` that `user` may see, oldest first; None if more than `limit`."""
    audiences = ["all", f"user:{user.pk}"]
    if access.may_chair(user, meeting):
        audiences.append("chair")
    qs = MeetingEvent.objects.filter(meeting=meeting, seq__gt=since, audience__in=audiences)
    events = list(qs.order_by("seq")[: limit + 1])
    return None if len(events) > limit else events


def events_between(meeting_id: int, after: int, before: int) -> list[dict]:
    """Every event with after < seq < before, as the room hub sends them (all audiences)."""
    rows = MeetingEvent.objects.filter(
        meeting_id=meeting_id, seq__gt=after, seq__lt=before
    ).order_by("seq")
    return [{"seq": e.seq, "kind": e.kind, "data": e.data, "audience": e.audience} for e in rows]


def current_seq(meeting_id: int) -> int:
    """The last number handed out in this meeting (0 before the first event)."""
    return Meeting.objects.filter(pk=meeting_id).values_list("seq", flat=True).first() or 0

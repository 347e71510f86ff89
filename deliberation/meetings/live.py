"""The live room's seam: everything the live transport (`realtime`) may ask of deliberation, and
the only module it imports from it.

Plain synchronous functions over plain values (ids, users, dicts); `realtime` runs them in its
database thread. Actions are the meeting services themselves, one per client message type
(`realtime.protocol` names them), so a live action passes exactly the checks the services
make for anyone who calls them.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from communities.access import signed_in
from communities.models import Organization
from deliberation import access, electorates, meeting_log
from deliberation.meetings.floor import (
    end_floor,
    end_floor_if_expired,
    grant_floor,
    lower_hand,
    raise_hand,
    send_chat,
)
from deliberation.meetings.room import (
    end_open_stays,
    enter,
    leave,
    presence,
    present_names,
    room_state,
    snapshot,
)
from deliberation.meetings.sessions import (
    adjourn_meeting,
    end_meeting,
    goto_item,
    hand_chair,
    start_meeting,
)
from deliberation.meetings.voting import cast_many, close_poll, live_tally, open_poll
from deliberation.models import Meeting, Poll


def hand_chair_to(actor, meeting, user_id: int):
    """The chair hands the chair, for the current item, to the active person with this id."""
    target = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if target is None:
        raise ValidationError(_("No such person."))
    return hand_chair(actor, meeting, target)


# The live actions, by the name realtime.protocol gives each: the services above, unchanged.
ACTIONS = {
    "send_chat": send_chat,
    "raise_hand": raise_hand,
    "lower_hand": lower_hand,
    "grant_floor": grant_floor,
    "end_floor": end_floor,
    "goto_item": goto_item,
    "start_meeting": start_meeting,
    "adjourn_meeting": adjourn_meeting,
    "end_meeting": end_meeting,
    "open_poll": open_poll,
    "close_poll": close_poll,
    "hand_chair": hand_chair_to,
}

SESSION_GONE = object()  # the session ended (logout, expiry) or the account was deactivated
ROOM_GONE = object()  # the socket's person may no longer be in this meeting's room

__all__ = [
    "ACTIONS",
    "ROOM_GONE",
    "SESSION_GONE",
    "act",
    "cast_batch",
    "current_seq",
    "eligibility",
    "end_floor_in_time",
    "end_stays",
    "enter",
    "events_between",
    "events_since",
    "figures",
    "is_chair",
    "leave",
    "meeting_for",
    "recheck",
    "replay",
    "room",
    "snapshot",
]

current_seq = meeting_log.current_seq
events_between = meeting_log.events_between
events_since = meeting_log.events_since


# -- sockets ----------------------------------------------------------------------------------


def meeting_for(user, meeting_id: int) -> Meeting | None:
    """The meeting a socket asks to join, if `user` may be in its room; None otherwise."""
    meeting = Meeting.objects.select_related("community").filter(pk=meeting_id).first()
    if meeting is None or not access.may_attend(user, meeting):
        return None
    return meeting


def is_chair(user, meeting_id: int) -> bool:
    """Whether `user` chairs the meeting now (the chair may have been handed on)."""
    meeting = Meeting.objects.select_related("current_item", "community", "estate").get(
        pk=meeting_id
    )
    return access.may_chair(user, meeting)


def _in_room_now(session_key, user_id: int, meeting_id: int):
    """The socket's person and meeting as the database has them now, if that person is still
    signed in by the socket's session (an active account) and may still see the meeting
    (`Meeting.objects.visible_to`, the one definition, which with an active signed-in person
    is `access.may_attend`); else SESSION_GONE or ROOM_GONE."""
    user = signed_in([(session_key, user_id)]).get((session_key, user_id))
    if user is None:
        return SESSION_GONE, None
    try:  # fetched through the one visibility queryset: the row and the check in one query
        meeting = access.get_meeting_for(user, meeting_id)
    except Http404:
        return ROOM_GONE, None
    return user, meeting


def act(user, session_key, meeting, action: str, arguments: dict):
    """Run one live action for the socket's person, re-read from the database (a demoted
    superuser or a revoked member acts as what they are now, never as what they were when the
    socket opened); SESSION_GONE or ROOM_GONE if they may no longer. The check and the
    service in one trip to the database thread."""
    person, meeting = _in_room_now(session_key, user.pk, meeting.pk)
    if meeting is None:
        return person
    return ACTIONS[action](person, meeting, **arguments)


def recheck(session_key, user_id: int, meeting_id: int):
    """The socket's person's access changed: SESSION_GONE, ROOM_GONE, or (the person as they
    are now, their fresh snapshot of the room), which may show fewer rights (no longer the
    chair, no longer taking part: what a visitor to a public meeting sees)."""
    person, meeting = _in_room_now(session_key, user_id, meeting_id)
    if meeting is None:
        return person
    return person, snapshot(meeting, person)


def replay(session_key, user_id: int, meeting_id: int, since: int):
    """A `resume`: SESSION_GONE, ROOM_GONE, or (the person as they are now, the events after
    `since` they may see, or None if too many): checked afresh, so a socket whose access ended
    cannot fetch what it may no longer see."""
    person, meeting = _in_room_now(session_key, user_id, meeting_id)
    if meeting is None:
        return person
    return person, events_since(meeting, since, person)


# -- the room hub -------------------------------------------------------------------------------


def room(meeting_id: int, language: str) -> dict:
    """The part of every snapshot that is the same for everyone, worded in `language`."""
    with translation.override(language):
        return room_state(Meeting(pk=meeting_id))


def end_stays(meeting_id: int) -> int:
    """End the stays a dead server left open (see `room.end_open_stays`)."""
    return end_open_stays(Meeting(pk=meeting_id))


def end_floor_in_time(meeting_id: int) -> bool:
    """End the speech whose time is up, if it still is (idempotent across processes)."""
    return end_floor_if_expired(Meeting(pk=meeting_id))


def eligibility(poll_id: int, users: list) -> list[bool]:
    """For each user, whether they may vote in this poll now (one batch of queries for all)."""
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is None or not poll.is_open:
        return [False] * len(users)
    return [bool(slots) for slots in electorates.slots_many(poll, [(u, None) for u in users])]


def figures(meeting_id: int, dirty) -> list[tuple[str, dict]]:
    """The coalesced state frames for what changed, as (audience, frame) pairs: presence (and
    the chair's named list) and the live tallies of the polls named, or of every open poll
    when ("tallies", None) is among `dirty`."""
    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    frames = []
    if any(what == "presence" for what, _poll in dirty):
        frames.append(("all", {"type": "state", "kind": "presence", "data": presence(meeting)}))
        frames.append(
            ("chair", {"type": "state", "kind": "present", "data": present_names(meeting)})
        )
    poll_ids = {poll for what, poll in dirty if what == "tally" and poll}
    if ("tallies", None) in dirty:
        poll_ids |= set(
            Poll.objects.filter(agenda_item__meeting=meeting, status=Poll.Status.OPEN).values_list(
                "pk", flat=True
            )
        )
    for poll in Poll.objects.filter(pk__in=poll_ids).prefetch_related("choices"):
        frames.append(("all", {"type": "state", "kind": "tally", "data": live_tally(poll)}))
    return frames


def cast_batch(meeting_id: int, ballots) -> list:
    """Commit a room's batch of live ballots through the one ballot service: for each ballot
    (with `user`, `session_key`, `poll_id`, `choices`, `organization_id` and `language`), its
    outcome dict, its refusal, or SESSION_GONE, in order. Refusals are worded in each voter's
    language: one call per (poll, language) group."""
    # Each voter as the database has them now, not as their socket remembers them.
    people = signed_in([(b.session_key, b.user.pk) for b in ballots])
    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    org_ids = {b.organization_id for b in ballots if b.organization_id is not None}
    orgs = {}
    if org_ids:
        orgs = Organization.objects.filter(pk__in=org_ids, community=meeting.community_id).in_bulk()
    outcomes: list = [SESSION_GONE] * len(ballots)
    groups: dict[tuple, list[int]] = {}
    voters: list = [None] * len(ballots)
    for index, ballot in enumerate(ballots):
        voters[index] = people.get((ballot.session_key, ballot.user.pk))
        if voters[index] is not None:
            groups.setdefault((ballot.poll_id, ballot.language), []).append(index)
    for (poll_id, language), indexes in groups.items():
        entries = [
            (voters[i], ballots[i].choices, orgs.get(ballots[i].organization_id)) for i in indexes
        ]
        with translation.override(language):
            results = cast_many(meeting, poll_id, entries)
        for index, result in zip(indexes, results, strict=True):
            outcomes[index] = result
    return outcomes

"""Votes in a live meeting: the matter's stage poll, or a council meeting's own motion, opened,
closed and cast through the polls and ballot services (`deliberation.services`), and what
every client may know of them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deliberation import meeting_log, services, turnout
from deliberation.meetings.checks import require_chair, require_live
from deliberation.models import Electorate, Meeting, Poll
from deliberation.services.polls import create_meeting_poll, put_to_meeting


def open_poll(
    actor,
    meeting,
    *,
    question: str,
    kind: str = "yes_no_abstain",
    choices=(),
    secret=False,
    results_hidden=False,
    poll_id=None,
) -> Poll:
    """Hold a vote on the current item: the matter's own stage poll, as its procedure defines it
    (`services.polls.put_to_meeting`); on an item with no matter, a council meeting's motion."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        require_live(meeting)
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        if item.matter_id is not None:
            poll = put_to_meeting(
                actor, item, question=question, kind=kind, choices=choices, secret=secret,
                results_hidden=results_hidden, poll_id=poll_id,
            )  # fmt: skip
        else:
            poll = create_meeting_poll(
                actor, meeting, item, question=question, kind=kind, choices=choices,
                secret=secret, results_hidden=results_hidden,
            )  # fmt: skip
        meeting_log.append(meeting, "poll.opened", poll_json(poll), actor=actor)
    return poll


def close_live_poll(meeting, actor, poll) -> Poll:
    """Close a poll of this meeting (the meeting row locked) and tell the room its result."""
    poll = services.close_poll(actor, poll)
    result = {**poll_json(poll), "result": poll.result, "gate": turnout.gate_json(poll.result)}
    meeting_log.append(meeting, "poll.closed", result, actor=actor)
    return poll


def close_poll(actor, meeting, poll_id: int) -> Poll:
    """Close a live poll: the result is frozen by the same rules as any poll, and sent to all."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        require_live(meeting)
        poll = Poll.objects.filter(
            pk=poll_id, agenda_item__meeting=meeting, status=Poll.Status.OPEN
        ).first()
        if poll is None:
            raise ValidationError(_("No open poll with that number in this meeting."))
        return close_live_poll(meeting, actor, poll)


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
    """The coalesced live figure: turnout always, and with it the legal gate (turnout against
    2/3 of heads and area, or the quorum; figures only, `turnout.gate_json`); counts only where
    results are shown live."""
    result = poll.result if poll.is_closed else services.tally(poll)
    data = {
        "poll": poll.pk,
        "turnout": result["participation"]["heads"],
        "electorate": result["electorate"]["heads"],
        "status": poll.status,
    }
    if poll.electorate == Electorate.OWNERS:
        data["turnout_area"] = result["participation"]["area"]
    gate = turnout.gate_json(result)
    if gate is not None:
        data["gate"] = gate
    if poll.is_closed or not poll.results_hidden:
        data["counts"] = {code: cell["heads"] for code, cell in result["counts"].items()}
        if poll.electorate == Electorate.OWNERS:
            data["area"] = {code: cell["area"] for code, cell in result["counts"].items()}
    return data

"""Polls, in one home: created (for a matter's stage, or as a council meeting's own motion),
opened, closed and counted here and nowhere else. A live meeting runs its votes through these
functions (`deliberation.meetings.voting`)."""

import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Organization
from deliberation import access, electorates, meeting_log, procedures, rules, sealing
from deliberation import notify as notices
from deliberation.models import (
    Choice,
    Electorate,
    Matter,
    Meeting,
    Poll,
    SealedBallot,
    SecretBallot,
)
from deliberation.services.common import (
    clean_text,
    locked_matter,
    publish,
    require_stage_action,
    stakeholder_ids,
)

Kind = Organization.Kind
P = procedures
SPECIAL_ITEMS = {6, 7, 8}  # Art. 278 items decided by the 3/4 special majority

# What each kind of meeting votes by when an agenda item has no matter to take the rule from.
MEETING_POLLS = {
    Meeting.Kind.COUNCIL: (Electorate.BODY, rules.Rule.COUNCIL),
    Meeting.Kind.RESIDENTS: (Electorate.RESIDENTS, rules.Rule.RESIDENTS_MEETING),
    Meeting.Kind.REPRESENTATIVES: (Electorate.RESIDENTS, rules.Rule.RESIDENTS_MEETING),
    Meeting.Kind.JOINT: (Electorate.ORGANIZATIONS, rules.Rule.SIMPLE_MAJORITY),
    Meeting.Kind.OWNERS: (Electorate.OWNERS, rules.Rule.OWNERS_ORDINARY),
    Meeting.Kind.REVIEW: (Electorate.RESIDENTS, rules.Rule.SIMPLE_MAJORITY),
}


def _poll_params(community, defaults: procedures.PollDefaults) -> dict:
    overrides = community.settings
    if defaults.params == "council":
        return rules.council_params(overrides)
    if defaults.params == "party_review":
        return rules.party_review_params(overrides)
    if defaults.params == "residents_meeting":
        return rules.residents_meeting_params(overrides)
    return {}


def create_poll(
    actor,
    matter: Matter,
    *,
    question: str,
    kind: str,
    choices=(),
    electorate: str = "",
    max_choices: int = 1,
    secret: bool = False,
    results_hidden: bool = False,
    allow_change: bool = False,
    closes_at=None,
    law_item: int | None = None,
    agenda_item=None,
) -> Poll:
    """Put a question to the stage's electorate under the stage's rule (opened now or later);
    `agenda_item` when a live meeting puts it."""
    with transaction.atomic():
        matter = locked_matter(matter)
        require_stage_action(actor, matter, P.CREATE_POLL)
        defaults = matter.stage_spec.poll
        question = clean_text(question, _("question"), limit=200)
        electorate = electorate or defaults.electorates[0]
        if electorate not in defaults.electorates:
            raise ValidationError(_("This stage's vote is not open to that electorate."))
        if kind not in Poll.Kind.values:
            raise ValidationError(_("Choose the kind of poll."))
        if secret and allow_change:
            raise ValidationError(
                _("A secret ballot cannot be changed: nothing links it to its voter.")
            )
        options, max_choices = poll_options(kind, choices, max_choices)
        rule = defaults.rule
        estate = body = None
        if electorate == Electorate.OWNERS:
            rule = _owners_rule(law_item)
            estate = matter.estate
        else:
            law_item = None
        if electorate == Electorate.BODY:
            body = access.body_of_kind(matter.community, defaults.body)
            if body is None:
                raise ValidationError(_("This community has no such body to vote."))
        now = timezone.now()
        if closes_at is not None and closes_at <= now:
            raise ValidationError(_("The closing time must be in the future."))
        poll = _insert(
            actor,
            options,
            {"matter": matter.reference, "rule": rule, "electorate": electorate},
            community=matter.community,
            matter=matter,
            stage=matter.stage,
            question=question,
            kind=kind,
            max_choices=max_choices,
            electorate=electorate,
            estate=estate,
            body=body,
            rule=rule,
            params=_poll_params(matter.community, defaults),
            law_item=law_item,
            secret=bool(secret),
            results_hidden=bool(results_hidden),
            allow_change=bool(allow_change),
            closes_at=closes_at,
            agenda_item=agenda_item,
        )
        if defaults.open_at_once:
            _open(actor, poll, now)
    return poll


def _owners_rule(law_item) -> str:
    """The rule an owners' vote on this Art. 278 item is decided by (items 6–8: special)."""
    if law_item not in range(1, 10):
        raise ValidationError(_("Choose which Art. 278 item this vote decides (1–9)."))
    return rules.Rule.OWNERS_SPECIAL if law_item in SPECIAL_ITEMS else rules.Rule.OWNERS_ORDINARY


def _insert(actor, options, audit_data: dict, **fields) -> Poll:
    """Write a new poll with its choices, and its audit event: the one place polls are made."""
    poll = Poll.objects.create(created_by=actor, **fields)
    Choice.objects.bulk_create(
        [
            Choice(poll=poll, code=code, label=label, position=i)
            for i, (code, label) in enumerate(options)
        ]
    )
    audit.record(actor, "poll.created", poll, community=poll.community, data=audit_data)
    return poll


def poll_options(kind: str, choices=(), max_choices: int = 1) -> tuple[list, int]:
    """The (code, label) choices of a poll of this kind, and how many one ballot may pick."""
    if kind not in Poll.Kind.values:
        raise ValidationError(_("Choose the kind of poll."))
    if kind == Poll.Kind.YES_NO_ABSTAIN:
        return [(rules.YES, "yes"), (rules.NO, "no"), (rules.ABSTAIN, "abstain")], 1
    labels = [c.strip() for c in choices if c and c.strip()]
    if not 2 <= len(labels) <= 20 or len(set(labels)) != len(labels):
        raise ValidationError(_("Give between 2 and 20 different choices."))
    if any(len(label) > 120 for label in labels):
        raise ValidationError(_("Each choice may have at most 120 characters."))
    options = [(f"c{i}", label) for i, label in enumerate(labels, 1)]
    if kind == Poll.Kind.SINGLE:
        return options, 1
    if not 1 <= int(max_choices) <= len(labels):
        raise ValidationError(_("Allow between 1 and all of the choices."))
    return options, int(max_choices)


def _open(actor, poll: Poll, now):
    base = electorates.base(poll)
    poll.status = Poll.Status.OPEN
    poll.opened_at = now
    poll.electorate_heads = base.heads
    poll.electorate_area = base.area
    poll.save(update_fields=["status", "opened_at", "electorate_heads", "electorate_area"])
    audit.record(
        actor,
        "poll.opened",
        poll,
        community=poll.community,
        data={"heads": base.heads, "area": str(base.area)},
    )
    if poll.matter is not None:
        notices.notify(
            stakeholder_ids(poll.matter),
            "poll_opened",
            matter=poll.matter,
            data={"question": poll.question},
            exclude=actor,
        )
        publish(poll.matter, "poll", {"poll": poll.pk, "status": "open"})


def open_poll(actor, poll: Poll, *, agenda_item=None) -> Poll:
    """Open an agenda item's poll that was frozen into the notice (owners' decisions); in a live
    meeting, on its `agenda_item`."""
    with transaction.atomic():
        matter = locked_matter(poll.matter)
        require_stage_action(actor, matter, P.OPEN_POLL)
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.status != Poll.Status.DRAFT:
            raise ValidationError(_("This poll is not waiting to open."))
        if agenda_item is not None:
            poll.agenda_item = agenda_item
            poll.save(update_fields=["agenda_item"])
        _open(actor, poll, timezone.now())
    return poll


def create_meeting_poll(
    actor, meeting, item, *, question, kind, choices, secret, results_hidden, law_item
) -> Poll:
    """A live meeting's own vote on an agenda item, decided by the rule for this kind of meeting
    (`MEETING_POLLS`), opened at once; the chair puts it in session. Only for
    `deliberation.meetings.voting.open_poll`, which holds the meeting's lock and tells the room
    (`poll.opened`)."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)  # its status now, not as the caller last read it
        if not access.may_chair(actor, meeting):
            raise PermissionDenied(_("Only the meeting's chair may do that."))
        if meeting.status != Meeting.Status.LIVE or item.meeting_id != meeting.pk:
            raise ValidationError(_("The meeting is not in session."))
        return _meeting_motion(
            actor, meeting, item, question=question, kind=kind, choices=choices, secret=secret,
            results_hidden=results_hidden, law_item=law_item,
        )  # fmt: skip


def _meeting_motion(
    actor, meeting, item, *, question, kind, choices, secret, results_hidden, law_item
) -> Poll:
    question = (question or "").strip()
    if not question or len(question) > 200:
        raise ValidationError(_("Write the question (at most 200 characters)."))
    electorate, rule = MEETING_POLLS[meeting.kind]
    params = {}
    body = estate = None
    settings = meeting.community.settings
    if rule == rules.Rule.COUNCIL:
        rules_ = meeting.rules_of_order
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
        rule = _owners_rule(law_item)
        estate = meeting.estate
    # A live multiple-choice ballot may tick any of the choices.
    filled = [c for c in choices or () if c and c.strip()]
    options, max_choices = poll_options(kind, filled, max(len(filled), 1))
    poll = _insert(
        actor,
        options,
        {"meeting": meeting.pk, "rule": rule, "electorate": electorate},
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
    )
    _open(actor, poll, timezone.now())
    return poll


def tally(poll: Poll) -> dict:
    """The rule's verdict on the poll's ballots as they stand (the frozen result once closed)."""
    codes = list(poll.choices.values_list("code", flat=True))
    if poll.secret:
        contents = [
            {"choices": sb.choices, "weight": sb.weight} for sb in poll.secret_ballots.all()
        ]
        contents += [sealing.unseal(poll.pk, sb.sealed) for sb in poll.sealed_ballots.all()]
        votes = [
            rules.Vote(
                head=f"secret:{i}", choices=frozenset(c["choices"]), area=Decimal(c["weight"])
            )
            for i, c in enumerate(contents)
        ]
    else:
        votes = rules.group_unit_ballots(
            (b.head, b.weight, frozenset(b.choices)) for b in poll.ballots.all()
        )
    heads = poll.electorate_heads
    area = poll.electorate_area
    if heads is None:
        base = electorates.base(poll)
        heads, area = base.heads, base.area
    electorate = rules.Electorate(heads, Decimal(area or 0))
    return rules.evaluate(poll.rule, poll.kind, codes, votes, electorate, poll.params or None)


def _mix(poll: Poll) -> None:
    """Unseal a closing poll's secret ballots and store them shuffled, in one transaction."""
    contents = [sealing.unseal(poll.pk, sb.sealed) for sb in poll.sealed_ballots.all()]
    secrets.SystemRandom().shuffle(contents)
    SecretBallot.objects.bulk_create(
        [
            SecretBallot(poll=poll, choices=c["choices"], weight=Decimal(c["weight"]))
            for c in contents
        ]
    )
    SealedBallot.objects.filter(poll=poll).delete()


def close_poll(actor, poll: Poll, *, system: bool = False) -> Poll:
    """Close the poll and freeze its result; no ballot is accepted afterwards."""
    with transaction.atomic():
        # Lock the poll row only: PostgreSQL refuses FOR UPDATE on the outer join to a
        # nullable matter.
        poll = Poll.objects.select_for_update(of=("self",)).select_related("matter").get(pk=poll.pk)
        if not system:
            require_stage_action(actor, poll.matter, P.CLOSE_POLL)
        if poll.status != Poll.Status.OPEN:
            raise ValidationError(_("This poll is not open."))
        if poll.secret:
            _mix(poll)
        poll.result = tally(poll)
        poll.status = Poll.Status.CLOSED
        poll.closed_at = timezone.now()
        poll.save(update_fields=["result", "status", "closed_at"])
        audit.record(
            actor,
            "poll.closed",
            poll,
            community=poll.community,
            data={"passed": poll.result["passed"], "quorum": poll.result["quorum_met"]},
        )
        if poll.matter is not None:
            notices.notify(
                stakeholder_ids(poll.matter),
                "poll_closed",
                matter=poll.matter,
                data={"question": poll.question},
                exclude=actor,
            )
            publish(poll.matter, "poll", {"poll": poll.pk, "status": "closed"})
    return poll


def close_due_polls(now=None) -> list[Poll]:
    """Close every open poll whose closing time has passed (run by `manage.py close_due_polls`)."""
    now = now or timezone.now()
    closed = []
    for poll in Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now):
        try:
            closed.append(close_poll(None, poll, system=True))
        except ValidationError:
            continue  # closed by someone else meanwhile
    return closed

"""Polls, in one home: created (for a matter's stage, or as a council meeting's own motion),
opened, closed and counted here and nowhere else. A live meeting runs its votes through these
functions (`deliberation.meetings.voting`)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Organization
from deliberation import access, electorates, meeting_log, procedures, rules
from deliberation import notify as notices
from deliberation.models import (
    Choice,
    Electorate,
    Matter,
    Meeting,
    Poll,
)
from deliberation.services import attendance, counting, register
from deliberation.services.common import (
    clean_text,
    locked_matter,
    publish,
    require_signed_in,
    require_stage_action,
    stakeholder_ids,
)
from deliberation.services.counting import tally
from deliberation.services.notices import tell_electorate_poll_opened

Kind = Organization.Kind
P = procedures
SPECIAL_ITEMS = {6, 7, 8}  # Art. 278 items decided by the 3/4 special majority

# A meeting's own motion (an agenda item with no matter) exists only where the council sits, and
# is decided by the council rule; residents' and owners' meetings vote only on a matter's poll.
MOTION_MEETINGS = frozenset({Meeting.Kind.COUNCIL})


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
    extension_days: int = 0,
) -> Poll:
    """Put a question to the stage's electorate under the stage's rule (opened now or later);
    `agenda_item` when a live meeting puts it. This is the only way a matter gets a poll: the
    poll is the one the stage's procedure defines (electorate, rule, law item)."""
    with transaction.atomic():
        matter = locked_matter(matter)
        require_stage_action(actor, matter, P.CREATE_POLL)
        stage = matter.stage_spec
        defaults = stage.poll
        if defaults.open_at_once:
            _require_stage_may_vote_again(matter, stage)
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
        if electorate in (Electorate.BODY, Electorate.PARTY):
            body = access.body_of_kind(matter.community, defaults.body)
            if body is None:
                raise ValidationError(_("This community has no such body to vote."))
        extension_days = int(extension_days or 0)
        if not 0 <= extension_days <= 30:
            raise ValidationError(_("An extension may be of 0 to 30 days."))
        if extension_days and rule not in rules.EXTENDABLE_RULES:
            raise ValidationError(_("Only a vote that needs enough participants may be extended."))
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
            results_hidden=bool(results_hidden or secret),  # a secret poll is always hidden
            allow_change=bool(allow_change),
            closes_at=closes_at,
            agenda_item=agenda_item,
            extension_days=extension_days,
        )
        if defaults.open_at_once:
            _open(actor, poll, now)
    return poll


def round_polls(matter: Matter, stage: procedures.Stage) -> list[Poll]:
    """The polls of this stage's procedure held since the matter entered the stage, in the order
    they closed (open ones last): the round that the stage's guard judges."""
    polls = [
        p for p in matter.polls.exclude(status=Poll.Status.DRAFT)
        if stage_poll_conforms(p, matter, stage)
        and (p.opened_at or p.created_at) >= matter.stage_started_at
    ]  # fmt: skip
    return sorted(polls, key=lambda p: (p.closed_at is None, p.closed_at or p.created_at, p.pk))


def _require_stage_may_vote_again(matter: Matter, stage: procedures.Stage) -> None:
    """A stage votes once: one poll at a time, and a new one only after a void one (too few
    took part). A vote that was counted decides; a failed one means rejecting the matter."""
    for poll in round_polls(matter, stage):
        if poll.is_open:
            raise ValidationError(_("Close the open poll first."))
        if P.POLL_PASSED not in stage.requires:
            continue  # a sounding (a consultation, an acceptance) may be taken again
        if (poll.result or {}).get("quorum_met"):
            raise ValidationError(_("This stage's vote has been counted; it is not held again."))
    if matter.polls.filter(status=Poll.Status.OPEN).exists():
        raise ValidationError(_("Close the open poll first."))


def stage_passed(matter: Matter, stage: procedures.Stage) -> bool:
    """The guard "a poll of this stage passed": the stage's last counted poll passed; for an
    owners' notice (several items, each its own poll), at least one item passed."""
    closed = [p for p in round_polls(matter, stage) if p.is_closed]
    if stage.votes_on:
        return any((p.result or {}).get("passed") for p in closed)
    return bool(closed) and bool((closed[-1].result or {}).get("passed"))


def _owners_rule(law_item) -> str:
    """The rule an owners' vote on this Art. 278 item is decided by (items 6–8: special)."""
    if law_item not in range(1, 10):
        raise ValidationError(_("Choose which Art. 278 item this vote decides (1–9)."))
    return rules.Rule.OWNERS_SPECIAL if law_item in SPECIAL_ITEMS else rules.Rule.OWNERS_ORDINARY


def _insert(actor, options, audit_data: dict, **fields) -> Poll:
    """Write a new poll with its choices, and its audit event: the one place polls are made."""
    matter = fields.get("matter")
    if matter is not None and not matter.in_progress:
        raise ValidationError(_("This matter is closed: it gets no new poll."))
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
    tell_electorate_poll_opened(poll, actor)
    if poll.matter is not None:
        publish(poll.matter, "poll", {"poll": poll.pk, "status": "open"})


def stage_poll_conforms(poll: Poll, matter: Matter, stage: procedures.Stage) -> bool:
    """Whether `poll` is the poll the procedure defines for `stage` of `matter`: drafted or put
    in the defining stage, to its electorate, under its rule (for owners, the rule of its
    Art. 278 item), of the matter's estate and the body the stage names. The one test of "this
    stage's poll", asked when a poll is opened and when a passed poll lets the matter advance."""
    defining = procedures.poll_definition(matter.procedure_spec, stage)
    if defining is None or poll.matter_id != matter.pk or poll.stage != defining.code:
        return False
    defaults = defining.poll
    if poll.electorate not in defaults.electorates:
        return False
    if poll.electorate == Electorate.OWNERS:
        if poll.estate_id is None or poll.estate_id != matter.estate_id:
            return False
        try:
            expected = _owners_rule(poll.law_item)
        except ValidationError:
            return False
    else:
        expected = defaults.rule
    if poll.rule != expected:
        return False
    if poll.electorate in (Electorate.BODY, Electorate.PARTY):
        body = access.body_of_kind(matter.community, defaults.body)
        return body is not None and poll.body_id == body.pk
    return True


def open_poll(actor, poll: Poll, *, agenda_item=None) -> Poll:
    """Open an item of the owners' notice: only a poll drafted into the published notice, on a
    matter of the same estate, once the notice period has run (the voting stage); in a live
    meeting, on its `agenda_item`."""
    with transaction.atomic():
        if poll.matter_id is None:
            raise ValidationError(_("Only a matter's poll is opened this way."))
        matter = locked_matter(poll.matter)
        require_stage_action(actor, matter, P.OPEN_POLL)
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.status != Poll.Status.DRAFT:
            raise ValidationError(_("This poll is not waiting to open."))
        if not stage_poll_conforms(poll, matter, matter.stage_spec):
            raise ValidationError(_("Only an item of the published notice may be put to the vote."))
        if poll.closes_at is not None and poll.closes_at <= timezone.now():
            raise ValidationError(
                _("This item's announced voting time has passed; put it to a fresh notice.")
            )
        if agenda_item is not None:
            _require_item_for(agenda_item, matter)
            meeting = agenda_item.meeting
            if poll.electorate == Electorate.OWNERS and (
                meeting.kind != Meeting.Kind.OWNERS or meeting.estate_id != poll.estate_id
            ):
                raise ValidationError(
                    _("An owners' vote is held in its estate's owners' assembly.")
                )
            poll.agenda_item = agenda_item
            poll.save(update_fields=["agenda_item"])
        _open(actor, poll, timezone.now())
    return poll


def _require_item_for(item, matter: Matter) -> None:
    """A meeting votes on a matter only through an agenda item for that matter, and an estate's
    meeting only on its own estate's matters."""
    meeting = item.meeting
    if item.matter_id != matter.pk:
        raise ValidationError(_("This agenda item is not about that matter."))
    if meeting.estate_id is not None and meeting.estate_id != matter.estate_id:
        raise ValidationError(_("This meeting's owners do not vote on another estate's matter."))


def put_to_meeting(actor, item, *, question, kind, choices, secret, results_hidden,
                   poll_id=None) -> Poll:  # fmt: skip
    """The vote a live meeting holds on an agenda item about a matter: the stage's own poll,
    created to the stage's definition (`create_poll`) or, for an owners' item of the notice,
    opened (`open_poll`). Nothing else: a stage with no vote has none in the room either."""
    matter = item.matter
    if matter is None:
        raise ValidationError(_("This agenda item has no matter."))
    _require_item_for(item, matter)
    if poll_id is not None:
        poll = Poll.objects.filter(pk=poll_id, matter=matter).first()
        if poll is None:
            raise ValidationError(_("No such poll on this item."))
        return open_poll(actor, poll, agenda_item=item)
    stage = matter.stage_spec
    if matter.in_progress and P.OPEN_POLL in stage.actions:
        raise ValidationError(_("Choose the item of the published notice to put to the vote."))
    if (
        not matter.in_progress
        or P.CREATE_POLL not in stage.actions
        or not stage.poll.open_at_once  # the agenda stage drafts the notice; it holds no vote
    ):
        raise ValidationError(_("This matter has no vote to hold at its current stage."))
    return create_poll(
        actor, matter, question=question, kind=kind, choices=choices, secret=secret,
        results_hidden=results_hidden, agenda_item=item,
    )  # fmt: skip


def create_meeting_poll(
    actor, meeting, item, *, question, kind, choices, secret, results_hidden
) -> Poll:
    """A council meeting's own motion on an agenda item with no matter, decided by the council
    rule under the meeting's rules of order, opened at once; the chair puts it in session. Only
    for `deliberation.meetings.voting.open_poll`, which holds the meeting's lock and tells the
    room (`poll.opened`)."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)  # its status now, not as the caller last read it
        if not access.may_chair(actor, meeting):
            raise PermissionDenied(_("Only the meeting's chair may do that."))
        if meeting.status != Meeting.Status.LIVE or item.meeting_id != meeting.pk:
            raise ValidationError(_("The meeting is not in session."))
        if item.matter_id is not None:
            raise ValidationError(_("This agenda item is about a matter: vote on its own poll."))
        if meeting.kind not in MOTION_MEETINGS:
            raise ValidationError(_("Only a council meeting votes on a motion without a matter."))
        question = clean_text(question, _("question"), limit=200)
        rules_ = meeting.rules_of_order
        params = {"quorum": rules_.quorum, "mode": rules_.pass_rule}
        if rules_.pass_rule == rules.MAJORITY_OF_MEMBERS:
            params["pass"] = rules.setting(meeting.community.settings, "council.pass")
        body = access.body_of_kind(meeting.community, Kind.COUNCIL)
        if body is None:
            raise ValidationError(_("This community has no deliberation council."))
        # A live multiple-choice ballot may tick any of the choices.
        filled = [c for c in choices or () if c and c.strip()]
        options, max_choices = poll_options(kind, filled, max(len(filled), 1))
        poll = _insert(
            actor,
            options,
            {"meeting": meeting.pk, "rule": rules.Rule.COUNCIL, "electorate": Electorate.BODY},
            community=meeting.community,
            agenda_item=item,
            question=question,
            kind=kind,
            max_choices=max_choices,
            electorate=Electorate.BODY,
            body=body,
            rule=rules.Rule.COUNCIL,
            params=params,
            secret=bool(secret),
            results_hidden=bool(results_hidden or secret),  # a secret poll is always hidden
        )
        _open(actor, poll, timezone.now())
    return poll


def require_may_close(actor, poll: Poll) -> None:
    """Closing by a person: `access.may_close_poll`, with the reason when refused."""
    require_signed_in(actor)
    if not access.may_close_poll(actor, poll):
        if poll.matter_id is None:
            raise PermissionDenied(_("Only the meeting's chair may do that."))
        require_stage_action(actor, poll.matter, P.CLOSE_POLL)  # raises, saying who may
        raise PermissionDenied(_("You may not close this poll."))
    if poll.closes_at is not None and timezone.now() < poll.closes_at:
        raise ValidationError(
            _("This poll closes at %(when)s, as announced.")
            % {"when": timezone.localtime(poll.closes_at).strftime("%Y-%m-%d %H:%M")}
        )


def require_due(poll: Poll, now) -> None:
    """Closing by the clock (`deliberation_tick`): only once the poll's closing time has come."""
    if poll.closes_at is None or now < poll.closes_at:
        raise ValidationError(_("This poll's closing time has not come."))


def _lock_poll(poll: Poll) -> Poll:
    # Lock the poll row only: PostgreSQL refuses FOR UPDATE on the outer join to a nullable
    # matter.
    return (
        Poll.objects.select_for_update(of=("self",))
        .select_related("matter", "agenda_item__meeting")
        .get(pk=poll.pk)
    )


def close_poll(actor, poll: Poll) -> Poll:
    """Close the poll and freeze its result (its actor's close, `require_may_close`)."""
    with transaction.atomic():
        poll = _lock_poll(poll)
        require_may_close(actor, poll)
        return _close(actor, poll, timezone.now())


def close_poll_when_due(poll: Poll, now=None) -> Poll:
    """Close the poll because its closing time has come (the clock's close, `require_due`)."""
    with transaction.atomic():
        poll = _lock_poll(poll)
        now = now or timezone.now()
        require_due(poll, now)
        return _close(None, poll, now)


def _close(actor, poll: Poll, now) -> Poll:
    """Freeze the result: no ballot is accepted afterwards."""
    if poll.status != Poll.Status.OPEN:
        raise ValidationError(_("This poll is not open."))
    waiting = register.paper_outstanding(poll)
    if waiting:
        raise ValidationError(waiting)  # nothing collected on paper is dropped by the close
    # A residents' meeting counts those in the hall as the poll closes (domain-rules §2).
    attending = attendance.attendance_at_close(poll)
    if poll.secret and attending is None:
        poll.result = counting.close_secret(poll)
    elif poll.secret:
        poll.result = counting.close_secret(poll, attending)
    else:
        poll.result = tally(poll, attending)
    poll.status = Poll.Status.CLOSED
    poll.closed_at = now
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


def close_polls_of_ended_matter(actor, matter: Matter) -> None:
    """A matter rejected, withdrawn or merged takes no more ballots: its open polls close with
    it (in the caller's transaction, the matter's row locked)."""
    now = timezone.now()
    for poll in matter.polls.filter(status=Poll.Status.OPEN):
        _close(actor, _lock_poll(poll), now)


def close_due_polls(now=None) -> list[Poll]:
    """Close every open poll whose closing time has passed (run by `manage.py close_due_polls`)."""
    now = now or timezone.now()
    closed = []
    for poll in Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now):
        try:
            closed.append(close_poll_when_due(poll, now))
        except ValidationError:
            continue  # closed, or extended, by someone else meanwhile
    return closed


def extendable(poll: Poll) -> bool:
    """Whether the poll's notice lets it be extended now: open, with an announced close and an
    extension not yet used (`extend_poll` also asks that too few have taken part so far)."""
    return bool(
        poll.is_open and poll.extension_days and poll.closes_at and poll.extended_at is None
    )


def extend_poll(actor, poll: Poll) -> Poll:
    """Extend an open vote that too few have joined, once, by the days its notice allowed: the
    lawful alternative to letting it close void."""
    with transaction.atomic():
        if poll.matter_id is None:
            raise ValidationError(_("Only a matter's vote may be extended."))
        matter = locked_matter(poll.matter)
        require_stage_action(actor, matter, P.EXTEND_POLL)
        poll = _lock_poll(poll)
        if poll.status != Poll.Status.OPEN:
            raise ValidationError(_("This poll is not open."))
        if not extendable(poll):
            if not poll.extension_days:
                raise ValidationError(_("This vote's notice allowed no extension."))
            if poll.closes_at is None:
                raise ValidationError(_("This vote has no announced closing time to extend."))
            raise ValidationError(_("This vote has already been extended once."))
        if tally(poll)["quorum_met"]:
            raise ValidationError(_("Enough have taken part: this vote needs no extension."))
        now = timezone.now()
        poll.closes_at = poll.closes_at + timedelta(days=poll.extension_days)
        poll.extended_at = now
        poll.save(update_fields=["closes_at", "extended_at"])
        audit.record(
            actor, "poll.extended", poll, community=poll.community,
            data={"days": poll.extension_days, "closes_at": poll.closes_at.isoformat()},
        )  # fmt: skip
        notices.notify(
            stakeholder_ids(matter), "poll_extended", matter=matter,
            data={"question": poll.question}, exclude=actor,
        )  # fmt: skip
        publish(matter, "poll", {"poll": poll.pk, "status": "open"})
    return poll


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def remind_non_voters(now=None) -> int:
    """Remind those who have not voted, POLL_REMINDER_HOURS before each open poll closes; once
    per poll, whoever runs the tick and however often (the poll is claimed before it is sent).
    Returns the number of polls reminded."""
    now = now or timezone.now()
    horizon = now + timezone.timedelta(hours=settings.POLL_REMINDER_HOURS)
    due = Poll.objects.filter(
        status=Poll.Status.OPEN, reminded_at__isnull=True, closes_at__gt=now, closes_at__lte=horizon
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in list(due):
        with transaction.atomic():
            # The claim: only one tick turns reminded_at from empty to set.
            if not Poll.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            poll = Poll.objects.select_related("matter", "agenda_item__meeting").get(pk=pk)
            data = {"question": poll.question, "closes": _local(poll.closes_at)}
            if poll.matter is None and poll.agenda_item is not None:
                data["ref"] = poll.agenda_item.meeting.title
            notices.notify(
                electorates.non_voter_ids(poll),
                "poll_reminder",
                matter=poll.matter,
                data=data,
                reach=True,
            )
        reminded += 1
    return reminded

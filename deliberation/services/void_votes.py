"""An owners' vote void for too few participants, put to a fresh notice (`rerun_vote`): a lawful
way forward besides rejecting the matter. The other two: extending an open vote once, as its
notice allowed (`services.polls.extend_poll`), and, for a residents' vote, simply holding it
again in its stage (`create_poll` allows a new poll only after a void one)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from deliberation import notify as notices
from deliberation import procedures
from deliberation.models import Matter, Poll
from deliberation.services.common import (
    locked_matter,
    publish,
    record_transition,
    require_stage_action,
    stage_clock,
    stakeholder_ids,
)
from deliberation.services.polls import _insert, round_polls

P = procedures


def void_items(matter: Matter) -> list[Poll]:
    """The items of this voting round that a re-run would put to a fresh notice: those void for
    too few participants, once every item is closed and none passed. ValidationError says why
    there are none."""
    if matter.polls.filter(status=Poll.Status.OPEN).exists():
        raise ValidationError(_("Close the open poll first."))
    held = [p for p in round_polls(matter, matter.stage_spec) if p.is_closed]
    if any((p.result or {}).get("passed") for p in held):
        # The passed item carries the matter; the void ones go to a matter of their own.
        raise ValidationError(_("An item of this notice passed: announce the decision."))
    void = [p for p in held if not (p.result or {}).get("quorum_met")]
    if not void:
        raise ValidationError(_("Only a vote that was void for too few participants is re-run."))
    return void


def may_rerun(matter: Matter) -> bool:
    """Whether the round has void items to re-run (the page offers the form only then)."""
    try:
        return bool(void_items(matter))
    except ValidationError:
        return False


def rerun_vote(actor, matter: Matter, *, note: str = "") -> Matter:
    """Put the owners' items whose vote was void (too few took part) to a fresh notice: each is
    drafted again as it was announced, and the full notice period runs again before voting."""
    note = (note or "").strip()
    if len(note) > 10000:
        raise ValidationError(_("The note is too long (at most 10000 characters)."))
    with transaction.atomic():
        matter = locked_matter(matter)
        acting = require_stage_action(actor, matter, P.RERUN_VOTE)
        void = void_items(matter)  # raises with the reason when there is nothing to re-run
        defining = procedures.poll_definition(matter.procedure_spec, matter.stage_spec)
        # The stage after the agenda: the notice, whose full period runs again.
        notice = matter.procedure_spec.next_stage(defining.code)
        now = timezone.now()
        deadline, minimum = stage_clock(matter, notice, now)
        for old in void:
            # Voting lasts as long as it was announced to, counted from the new notice's end.
            closes_at = None
            if old.closes_at and old.opened_at:
                closes_at = (deadline or now) + (old.closes_at - old.opened_at)
            _insert(
                actor,
                [(c.code, c.label) for c in old.choices.all()],
                {"matter": matter.reference, "rerun_of": old.pk, "rule": old.rule},
                community=matter.community, matter=matter, stage=defining.code,
                question=old.question, kind=old.kind, max_choices=old.max_choices,
                electorate=old.electorate, estate=old.estate, body=old.body, rule=old.rule,
                params=old.params, law_item=old.law_item, secret=old.secret,
                results_hidden=old.results_hidden, allow_change=old.allow_change,
                extension_days=old.extension_days, closes_at=closes_at,
            )  # fmt: skip
        record_transition(matter, actor, "rerun", to_stage=notice.code, note=note, acting=acting)
        matter.stage = notice.code
        matter.stage_started_at = now
        matter.deadline, matter.deadline_is_minimum = deadline, minimum
        matter.save(update_fields=["stage", "stage_started_at", "deadline", "deadline_is_minimum"])
        audit.record(
            actor, "matter.rerun", matter, community=matter.community,
            data={"void": [p.pk for p in void], "stage": notice.code},
        )  # fmt: skip
        notices.notify(
            stakeholder_ids(matter), "stage", matter=matter, data={"stage": notice.code},
            exclude=actor,
        )  # fmt: skip
        publish(matter, "changed", {"stage": notice.code})
    return matter

"""Counting a poll: the rule's verdict on its ballots (`tally`); for a secret poll, the count of
its sealed urn at close (`close_secret`) and what its stored ballots still prove afterwards
(`recount_secret`). See docs/secrecy.md."""

import json
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from deliberation import electorates, rules, sealing
from deliberation.models import Electorate, Poll, SealedUrn, SecretBallot, VoterReceipt


def tally(poll: Poll, attendance: int | None = None) -> dict:
    """The rule's verdict on the poll's ballots as they stand; once closed, the recount (for a
    secret poll, `recount_secret`), with the attendance frozen at close. Channels show
    per-choice figures only where the poll's results are not hidden, or once it has closed."""
    if poll.secret:
        if poll.is_closed:
            return recount_secret(poll)
        votes = sealed_votes(poll)
    else:
        votes = rules.group_unit_ballots(
            (b.head, b.weight, frozenset(b.choices)) for b in poll.ballots.all()
        )
    if attendance is None:
        attendance = frozen_attendance(poll)
    return evaluate(poll, votes, attendance)


def frozen_attendance(poll: Poll) -> int | None:
    """The attendance a closed poll's result froze (residents' meeting polls in a meeting)."""
    if not poll.is_closed:
        return None
    return (poll.result or {}).get("attendance")


def evaluate(poll: Poll, votes, attendance: int | None = None) -> dict:
    codes = list(poll.choices.values_list("code", flat=True))
    heads = poll.electorate_heads
    area = poll.electorate_area
    if heads is None:
        base = electorates.base(poll)
        heads, area = base.heads, base.area
    electorate = rules.Electorate(heads, Decimal(area or 0))
    return rules.evaluate(
        poll.rule, poll.kind, codes, votes, electorate, poll.params or None, attendance=attendance
    )


def sealed_votes(poll: Poll) -> list:
    """The ballots in an open secret poll's urn, as votes (one head each, with its area)."""
    urn = SealedUrn.objects.filter(poll=poll).first()
    if urn is None:
        return []
    codes = list(poll.choices.values_list("code", flat=True))
    votes = []
    for i, entry in enumerate(sealing.unseal(poll.pk, urn.sealed)):
        positions, weight = sealing.unpack(entry)
        picked = frozenset(codes[p] for p in positions)
        votes.append(rules.Vote(head=f"secret:{i}", choices=picked, area=weight))
    return votes


def recount_secret(poll: Poll) -> dict:
    """What a closed secret poll's stored ballots still prove: every headcount, recounted from
    the `SecretBallot` rows; the area totals are the ones frozen at close, because no row keeps
    a ballot's weight (a unit's area would name its owner: docs/secrecy.md). A recount that
    differs from the result shows the ballots were changed after the close."""
    result = json.loads(json.dumps(poll.result))
    votes = [
        rules.Vote(head=f"secret:{i}", choices=frozenset(b.choices), area=Decimal(0))
        for i, b in enumerate(poll.secret_ballots.all())
    ]
    heads_only = evaluate(poll, votes, frozen_attendance(poll))
    for code, cell in heads_only["counts"].items():
        result["counts"].setdefault(code, {})["heads"] = cell["heads"]
    result["participation"]["heads"] = heads_only["participation"]["heads"]
    if poll.electorate != Electorate.OWNERS:
        return heads_only  # one person, one vote: the ballots alone decide
    return result


def close_secret(poll: Poll, attendance: int | None = None) -> dict:
    """Open the urn in the closing transaction: count it (heads and area), freeze the result,
    write the choices shuffled with no weight, and delete the urn. The urn must hold one ballot
    for each receipt (for owners, each voter): an urn put back from an earlier state, or altered,
    is refused rather than counted."""
    votes = sealed_votes(poll)
    receipts = VoterReceipt.objects.filter(poll=poll)
    if poll.electorate == Electorate.OWNERS:  # one ballot carries all of an owner's units
        receipts = receipts.values("voter").distinct()
    if len(votes) != receipts.count():
        raise ValidationError(
            _("The sealed ballots do not match the receipts of those who voted, so this poll "
              "cannot be counted. Please tell the site's administrator.")
        )  # fmt: skip
    result = evaluate(poll, votes, attendance)
    choices = [sorted(vote.choices) for vote in votes]
    secrets.SystemRandom().shuffle(choices)
    SecretBallot.objects.bulk_create([SecretBallot(poll=poll, choices=c) for c in choices])
    SealedUrn.objects.filter(poll=poll).delete()
    return result

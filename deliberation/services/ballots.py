"""Ballots: the one ballot service, for one voter on a matter's page or a live room's burst of
thousands; named ballots may change where the poll allows, secret ones are sealed."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from deliberation import electorates, meeting_log, sealing
from deliberation.models import (
    Ballot,
    Channel,
    Electorate,
    PaperBallot,
    Poll,
    Proxy,
    SealedUrn,
    VoterReceipt,
)
from deliberation.services.common import publish, require_signed_in


def cast_ballot(actor, poll: Poll, choices, *, organization=None) -> dict:
    """Record a ballot; named ballots may be changed only where the poll allows it.

    Returns {"status": "cast" | "changed" | "unchanged", "slots": n}. A retry of the same named
    ballot is "unchanged", so clients can resend safely. Refusals raise PermissionDenied or
    ValidationError.
    """
    require_signed_in(actor)
    outcome = cast_ballots(poll, [(actor, choices, organization)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _check_choices(picked: list[str], codes: set[str], poll: Poll) -> list[str]:
    if len(set(picked)) != len(picked) or not set(picked) <= codes:
        raise ValidationError(_("Choose among the poll's choices."))
    if not picked:
        raise ValidationError(_("Choose at least one option."))
    if len(picked) > poll.max_choices:
        raise ValidationError(_("Choose at most %(n)d options.") % {"n": poll.max_choices})
    return sorted(picked)


@dataclass(frozen=True)
class Entry:
    """One ballot for the register: whose right it is (`voter`), what they chose, and how it
    came: online by the voter, on paper entered by scrutineers, or by their proxy (`cast_by`).
    `receipt_only`: a secret poll's paper receipt (the voter took a ballot at the box; the box's
    count brings the choice later)."""

    voter: object
    choices: object
    organization: object = None
    channel: str = Channel.ONLINE
    cast_by: object = None
    receipt_only: bool = False


def _taken_message(ballot_channel: str, online_voter: bool) -> ValidationError:
    """A slot already filled by another way: say which."""
    if online_voter:
        if ballot_channel == Channel.PAPER:
            return ValidationError(
                _("You have already voted on paper; you cannot vote again online.")
            )
        if ballot_channel == Channel.PROXY:
            return ValidationError(
                _("Your proxy has already voted for you; you cannot vote again online.")
            )
    if ballot_channel == Channel.PAPER:
        return ValidationError(_("This voter has already voted on paper."))
    if ballot_channel == Channel.PROXY:
        return ValidationError(_("This voter's proxy has already voted for them."))
    return ValidationError(_("This voter has already voted online."))


def cast_ballots(poll: Poll, entries) -> list:
    """Record many online ballots in one transaction: the one ballot service, for one voter or
    for a live room's burst of thousands (group commit; realtime/ballots.py gathers them).

    `entries` are (actor, choices, organization) triples. Returns, in the same order, either the
    outcome dict of `cast_ballot` or the PermissionDenied/ValidationError that refuses that
    ballot; one refusal never affects the others. Entries for the same slot are applied in order,
    so a retried ballot in the same batch is "unchanged".
    """
    return record_ballots(poll, [Entry(actor, choices, org) for actor, choices, org in entries])


def record_ballots(poll: Poll, entries: list[Entry], *, late: bool = False) -> list:
    """The register: every way of voting ends here, so each slot holds exactly one counted
    ballot. Online and proxy ballots are refused while a written ballot of the voter awaits its
    second scrutineer; any ballot is refused, naming the other way, once its slot is filled.
    `late`: a written ballot collected before the close, confirmed after the closing time (the
    poll is still open until its paper is counted: `services.register.paper_outstanding`)."""
    results: list = [None] * len(entries)
    with transaction.atomic():
        # The poll row lock orders every cast against the close: none can slip in after it.
        # The poll's row only: PostgreSQL refuses FOR UPDATE on the outer join to a matter.
        poll = Poll.objects.select_for_update(of=("self",)).select_related("matter").get(pk=poll.pk)
        now = timezone.now()
        ended = poll.matter is not None and not poll.matter.in_progress
        past = poll.closes_at and now >= poll.closes_at and not late
        if poll.status != Poll.Status.OPEN or ended or past:
            closed = ValidationError(_("This poll is not open for voting."))
            return [closed] * len(entries)
        positions = {code: i for i, code in enumerate(poll.choices.values_list("code", flat=True))}
        codes = set(positions)
        all_slots = electorates.slots_many(poll, [(e.voter, e.organization) for e in entries])
        wanted = sorted({slot for triples in all_slots for slot, _h, _w in triples})
        voter_ids = sorted({e.voter.pk for e in entries if getattr(e.voter, "pk", None)})
        awaiting = set()
        for chunk in electorates.chunks(voter_ids):
            awaiting.update(
                PaperBallot.objects.filter(
                    poll=poll, voter_id__in=chunk, status=PaperBallot.Status.PENDING
                ).values_list("voter_id", flat=True)
            )
        if poll.secret:
            taken = {}
            for chunk in electorates.chunks(wanted):
                taken.update(
                    VoterReceipt.objects.filter(poll=poll, slot__in=chunk).values_list(
                        "slot", "channel"
                    )
                )
        else:
            existing = {}
            for chunk in electorates.chunks(wanted):
                existing.update(
                    (b.slot, b) for b in Ballot.objects.filter(poll=poll, slot__in=chunk)
                )
        new_ballots, changed, receipts, sealed, audits = {}, {}, [], [], []
        lapsing = set()
        for index, entry in enumerate(entries):
            actor, slots = entry.voter, all_slots[index]
            online = entry.channel == Channel.ONLINE
            try:
                if actor is None or not actor.is_authenticated or not actor.is_active:
                    raise PermissionDenied(
                        _("Please sign in first.") if online
                        else _("This voter's account is not active.")
                    )  # fmt: skip
                if not slots:
                    raise PermissionDenied(
                        _("You are not in this poll's electorate.") if online
                        else _("This person is not in this poll's electorate.")
                    )  # fmt: skip
                if entry.channel != Channel.PAPER and actor.pk in awaiting:
                    raise ValidationError(
                        _("A written ballot of this voter is being entered by the scrutineers.")
                    )
                picked = (
                    []
                    if entry.receipt_only
                    else _check_choices([str(c) for c in (entry.choices or [])], codes, poll)
                )
            except (PermissionDenied, ValidationError) as refusal:
                results[index] = refusal
                continue
            keys = [slot for slot, _head, _weight in slots]
            cast_by = entry.cast_by
            if poll.secret:
                filled = [taken[key] for key in keys if key in taken]
                if filled:
                    results[index] = (
                        ValidationError(_("You have already voted in this secret ballot."))
                        if online and filled[0] == Channel.ONLINE
                        else _taken_message(filled[0], online)
                    )
                    continue
                taken.update((key, entry.channel) for key in keys)
                receipts += [
                    VoterReceipt(
                        poll=poll, voter=actor, slot=key, channel=entry.channel, cast_by=cast_by
                    )
                    for key in keys
                ]
                if not entry.receipt_only:
                    weight = sum((w for *_x, w in slots), Decimal(0))
                    sealed.append(sealing.pack([positions[code] for code in picked], weight))
                if online:
                    lapsing.add(actor.pk)
                results[index] = {"status": "cast", "slots": len(keys)}
                if entry.receipt_only:
                    # A voter recorded at the box: their ballot enters the urn later, with the
                    # box's count, so the time of this event dates nothing in the urn.
                    audits.append(
                        (cast_by, "poll.voted", poll, poll.community,
                         {"slots": len(keys), "channel": entry.channel, "for": actor.pk})
                    )  # fmt: skip
                # Otherwise the receipt is the record that they took part (and, by proxy, who
                # cast it): no audit event with its time, which would date their entry in the urn.
                continue
            else:
                mine = {key: existing[key] for key in keys if key in existing}
                other = [b for b in mine.values() if b.channel != Channel.ONLINE or not online]
                if other:
                    results[index] = _taken_message(other[0].channel, online)
                    continue
                if len(mine) == len(keys) and all(b.choices == picked for b in mine.values()):
                    results[index] = {"status": "unchanged", "slots": len(keys)}
                    continue
                if mine and not poll.allow_change:
                    results[index] = ValidationError(
                        _("You have already voted, and this poll does not allow changes.")
                    )
                    continue
                for slot, head, weight in slots:
                    ballot = existing.get(slot)
                    if ballot is None:
                        ballot = Ballot(
                            poll=poll, voter=actor, slot=slot, head=head, choices=picked,
                            weight=weight, cast_at=now, channel=entry.channel, cast_by=cast_by,
                        )  # fmt: skip
                        existing[slot] = new_ballots[slot] = ballot
                    else:
                        ballot.choices, ballot.voter, ballot.cast_at = picked, actor, now
                        if slot not in new_ballots:
                            changed[slot] = ballot
                status = "changed" if mine else "cast"
                if online:
                    lapsing.add(actor.pk)
            results[index] = {"status": status, "slots": len(keys)}
            # The audit log says who took part, and how, never what they chose.
            data = {"slots": len(keys), "changed": status == "changed"}
            if not online:
                data.update(channel=entry.channel, voter=actor.pk)
            audits.append((cast_by or actor, "poll.voted", poll, poll.community, data))
        Ballot.objects.bulk_create(new_ballots.values(), batch_size=500)
        Ballot.objects.bulk_update(
            changed.values(), ["choices", "voter", "cast_at"], batch_size=500
        )
        VoterReceipt.objects.bulk_create(receipts, batch_size=500)
        if sealed:
            store_sealed(poll, sealed)
        if lapsing:
            # A voter who votes themselves first: their vote stands, their proxy's lapses.
            for chunk in electorates.chunks(sorted(lapsing)):
                Proxy.objects.filter(
                    poll=poll, principal_id__in=chunk, status=Proxy.Status.ACTIVE
                ).update(status=Proxy.Status.LAPSED, ended_at=now)
        audit.record_many(audits)
        if (audits or sealed or receipts) and poll.matter is not None:
            publish(poll.matter, "ballot", {"poll": poll.pk})
        if audits or sealed or receipts:
            meeting_log.tally_changed(poll)
    return results


def store_sealed(poll: Poll, entries: list[bytes]) -> None:
    """Put new secret ballots in the poll's urn, each at a random place, and seal it again (the
    caller holds the poll's row lock, so casts take turns). See deliberation/sealing.py."""
    urn = SealedUrn.objects.filter(poll=poll).first()
    held = sealing.unseal(poll.pk, urn.sealed) if urn is not None else []
    token = sealing.seal(poll.pk, sealing.mix_in(held, entries))
    if urn is None:
        SealedUrn.objects.create(poll=poll, sealed=token)
    else:
        SealedUrn.objects.filter(poll=poll).update(sealed=token)


def has_voted(user, poll: Poll) -> bool:
    """Whether the user has filled any of their slots in this poll."""
    if not user.is_authenticated:
        return False
    keys = (
        [slot for slot, *_rest in electorates.slots(user, poll)]
        if poll.electorate != Electorate.ORGANIZATIONS
        else None
    )
    model = VoterReceipt if poll.secret else Ballot
    qs = model.objects.filter(poll=poll, voter=user)
    if keys is not None:
        qs = model.objects.filter(poll=poll, slot__in=keys)
    return qs.exists()

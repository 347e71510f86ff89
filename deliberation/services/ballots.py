"""Ballots: the one ballot service, for one voter on a matter's page or a live room's burst of
thousands; named ballots may change where the poll allows, secret ones are sealed."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from deliberation import electorates, meeting_log, sealing
from deliberation.models import Ballot, Electorate, Poll, SealedUrn, VoterReceipt
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


def cast_ballots(poll: Poll, entries) -> list:
    """Record many ballots in one transaction: the one ballot service, for one voter or for a
    live room's burst of thousands (group commit; realtime/ballots.py gathers them).

    `entries` are (actor, choices, organization) triples. Returns, in the same order, either the
    outcome dict of `cast_ballot` or the PermissionDenied/ValidationError that refuses that
    ballot; one refusal never affects the others. Entries for the same slot are applied in order,
    so a retried ballot in the same batch is "unchanged".
    """
    results: list = [None] * len(entries)
    with transaction.atomic():
        # The poll row lock orders every cast against the close: none can slip in after it.
        # The poll's row only: PostgreSQL refuses FOR UPDATE on the outer join to a matter.
        poll = Poll.objects.select_for_update(of=("self",)).select_related("matter").get(pk=poll.pk)
        now = timezone.now()
        ended = poll.matter is not None and not poll.matter.in_progress
        if poll.status != Poll.Status.OPEN or ended or (poll.closes_at and now >= poll.closes_at):
            closed = ValidationError(_("This poll is not open for voting."))
            return [closed] * len(entries)
        positions = {code: i for i, code in enumerate(poll.choices.values_list("code", flat=True))}
        codes = set(positions)
        all_slots = electorates.slots_many(poll, [(actor, org) for actor, _c, org in entries])
        wanted = sorted({slot for triples in all_slots for slot, _h, _w in triples})
        if poll.secret:
            taken = set()
            for chunk in electorates.chunks(wanted):
                taken.update(
                    VoterReceipt.objects.filter(poll=poll, slot__in=chunk).values_list(
                        "slot", flat=True
                    )
                )
        else:
            existing = {}
            for chunk in electorates.chunks(wanted):
                existing.update(
                    (b.slot, b) for b in Ballot.objects.filter(poll=poll, slot__in=chunk)
                )
        new_ballots, changed, receipts, sealed, audits = {}, {}, [], [], []
        for index, (actor, choices, _org) in enumerate(entries):
            slots = all_slots[index]
            try:
                if actor is None or not actor.is_authenticated or not actor.is_active:
                    raise PermissionDenied(_("Please sign in first."))
                if not slots:
                    raise PermissionDenied(_("You are not in this poll's electorate."))
                picked = _check_choices([str(c) for c in (choices or [])], codes, poll)
            except (PermissionDenied, ValidationError) as refusal:
                results[index] = refusal
                continue
            keys = [slot for slot, _head, _weight in slots]
            if poll.secret:
                if any(key in taken for key in keys):
                    results[index] = ValidationError(
                        _("You have already voted in this secret ballot.")
                    )
                    continue
                taken.update(keys)
                receipts += [VoterReceipt(poll=poll, voter=actor, slot=key) for key in keys]
                weight = sum((w for *_x, w in slots), Decimal(0))
                sealed.append(sealing.pack([positions[code] for code in picked], weight))
                results[index] = {"status": "cast", "slots": len(keys)}
                # The receipt is the record that they took part: no audit event with its time.
                continue
            else:
                mine = {key: existing[key] for key in keys if key in existing}
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
                            weight=weight, cast_at=now,
                        )  # fmt: skip
                        existing[slot] = new_ballots[slot] = ballot
                    else:
                        ballot.choices, ballot.voter, ballot.cast_at = picked, actor, now
                        if slot not in new_ballots:
                            changed[slot] = ballot
                status = "changed" if mine else "cast"
            results[index] = {"status": status, "slots": len(keys)}
            # The audit log says who took part, never what they chose.
            audits.append(
                (actor, "poll.voted", poll, poll.community,
                 {"slots": len(keys), "changed": status == "changed"})
            )  # fmt: skip
        Ballot.objects.bulk_create(new_ballots.values(), batch_size=500)
        Ballot.objects.bulk_update(
            changed.values(), ["choices", "voter", "cast_at"], batch_size=500
        )
        VoterReceipt.objects.bulk_create(receipts, batch_size=500)
        if sealed:
            store_sealed(poll, sealed)
        audit.record_many(audits)
        if (audits or sealed) and poll.matter is not None:
            publish(poll.matter, "ballot", {"poll": poll.pk})
        if audits or sealed:
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

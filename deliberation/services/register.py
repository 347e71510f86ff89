"""Written ballots in the one register: scrutineers (计票人) the responsible body appoints per
poll, named written ballots counted on a second scrutineer's own entry (four eyes), and for a
secret poll the receipts of who took a ballot at the box and each box's count, also entered
twice. `reconciliation` shows, by way of voting, that online, paper and proxy add up.

Every ballot ends in `ballots.record_ballots`, the register's one writer, so a voter or unit has
exactly one counted ballot whichever way it came, and a conflict names the other way.
"""

from collections import Counter
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Ownership, Unit
from deliberation import access, electorates, meeting_log, sealing
from deliberation.models import (
    Ballot,
    Channel,
    Electorate,
    PaperBallot,
    PaperBox,
    Poll,
    Scrutineer,
    VoterReceipt,
)
from deliberation.services.ballots import Entry, record_ballots, store_sealed
from deliberation.services.common import require_signed_in

MAX_REASON = 500


def _lock(poll: Poll) -> Poll:
    return (
        Poll.objects.select_for_update(of=("self",))
        .select_related("matter", "community", "agenda_item__meeting")
        .get(pk=poll.pk)
    )


def require_responsible(actor, poll: Poll) -> None:
    require_signed_in(actor)
    if not access.responsible_for_poll(actor, poll):
        raise PermissionDenied(_("Only the body responsible for this vote may do that."))


def require_scrutineer(actor, poll: Poll) -> None:
    require_signed_in(actor)
    if not access.is_scrutineer(actor, poll):
        raise PermissionDenied(_("Only a scrutineer appointed for this vote may enter ballots."))


def _require_collecting(poll: Poll) -> None:
    """A written ballot is first entered while the vote is open and before its closing time."""
    if not poll.is_open or (poll.closes_at and timezone.now() >= poll.closes_at):
        raise ValidationError(_("This poll is not open for voting."))


def _require_counting(poll: Poll) -> None:
    """Ballots collected in time may be confirmed after the closing time, until the poll closes
    (it waits for them: `paper_outstanding`)."""
    if not poll.is_open:
        raise ValidationError(_("This poll is not open for voting."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason."))
    if len(reason) > MAX_REASON:
        raise ValidationError(
            _("Please keep the reason under %(n)d characters.") % {"n": MAX_REASON}
        )
    return reason


# --- Scrutineers ----------------------------------------------------------------------------


def appoint_scrutineer(actor, poll: Poll, user) -> Scrutineer:
    """The responsible body appoints a scrutineer for one poll."""
    with transaction.atomic():
        poll = _lock(poll)
        require_responsible(actor, poll)
        if poll.is_closed:
            raise ValidationError(_("This poll is closed."))
        if user is None or not user.is_active:
            raise ValidationError(_("Choose an active account."))
        if poll.scrutineers.filter(user=user, ended_at__isnull=True).exists():
            raise ValidationError(
                _("%(name)s is already a scrutineer of this vote.") % {"name": user}
            )
        scrutineer = Scrutineer.objects.create(poll=poll, user=user, appointed_by=actor)
        audit.record(
            actor, "poll.scrutineer_appointed", poll, community=poll.community,
            data={"user": user.pk},
        )  # fmt: skip
    return scrutineer


def end_scrutineer(actor, scrutineer: Scrutineer) -> Scrutineer:
    """The responsible body ends a scrutineer's appointment (their entries stay as they are)."""
    with transaction.atomic():
        poll = _lock(scrutineer.poll)
        require_responsible(actor, poll)
        scrutineer = Scrutineer.objects.select_for_update().get(pk=scrutineer.pk)
        if scrutineer.ended_at is None:
            scrutineer.ended_at = timezone.now()
            scrutineer.save(update_fields=["ended_at"])
            audit.record(
                actor, "poll.scrutineer_ended", poll, community=poll.community,
                data={"user": scrutineer.user_id},
            )  # fmt: skip
    return scrutineer


# --- Whose ballot a paper is ----------------------------------------------------------------


def voter_of_unit(poll: Poll, unit: Unit):
    """The owner who votes for a unit of the poll's estate (a written owners' ballot names its
    unit); ValidationError when the unit is elsewhere or has no voting owner on the register."""
    if unit is None or unit.estate_id != poll.estate_id:
        raise ValidationError(_("This unit is not in the estate that votes."))
    owner = (
        Ownership.objects.current().filter(unit=unit, is_voter=True).select_related("owner").first()
    )
    if owner is None:
        raise ValidationError(
            _(
                "No voting owner of %(unit)s is on the register; add them before entering the "
                "ballot."
            )
            % {"unit": unit}
        )
    return owner.owner


def _choices(poll: Poll, choices) -> list[str]:
    codes = set(poll.choices.values_list("code", flat=True))
    picked = sorted({str(c) for c in (choices or [])})
    if not picked or not set(picked) <= codes:
        raise ValidationError(_("Choose among the poll's choices."))
    if len(picked) > poll.max_choices:
        raise ValidationError(_("Choose at most %(n)d options.") % {"n": poll.max_choices})
    return picked


def _check_first_entry(poll: Poll, voter) -> None:
    """Refuse a written ballot for a voter whose slot is already filled, naming the way."""
    if PaperBallot.objects.filter(
        poll=poll, voter=voter, status=PaperBallot.Status.PENDING
    ).exists():
        raise ValidationError(
            _("A written ballot of %(name)s already awaits a second scrutineer.") % {"name": voter}
        )
    model = VoterReceipt if poll.secret else Ballot
    done = model.objects.filter(poll=poll, voter=voter).values_list("channel", flat=True).first()
    if done is not None:
        raise ValidationError(
            {
                Channel.ONLINE: _("%(name)s has already voted online."),
                Channel.PAPER: _("%(name)s has already voted on paper."),
                Channel.PROXY: _("%(name)s has already voted by proxy."),
            }[done]
            % {"name": voter}
        )


# --- Named written ballots ------------------------------------------------------------------


def enter_paper_ballot(actor, poll: Poll, *, voter=None, unit=None, choices) -> PaperBallot:
    """A scrutineer enters one named written ballot; it counts once a second confirms it."""
    with transaction.atomic():
        poll = _lock(poll)
        require_scrutineer(actor, poll)
        if poll.secret:
            raise ValidationError(
                _("A secret vote's written ballots are counted by box, not one by one.")
            )
        _require_collecting(poll)
        if unit is not None:
            voter = voter_of_unit(poll, unit)
        if voter is None:
            raise ValidationError(_("Choose the voter or the unit."))
        picked = _choices(poll, choices)
        _check_first_entry(poll, voter)
        if not electorates.slots(voter, poll):
            raise ValidationError(_("This person is not in this poll's electorate."))
        paper = PaperBallot.objects.create(
            poll=poll, voter=voter, unit=unit, choices=picked, entered_by=actor
        )
        audit.record(
            actor, "poll.paper_entered", poll, community=poll.community,
            data={"paper": paper.pk, "voter": voter.pk},
        )  # fmt: skip
    return paper


def confirm_paper_ballot(actor, paper: PaperBallot, choices) -> PaperBallot:
    """A second scrutineer enters the same written ballot on their own: when both read it
    alike it is counted; otherwise nothing changes and they are asked to look again."""
    with transaction.atomic():
        poll = _lock(paper.poll)
        require_scrutineer(actor, poll)
        paper = PaperBallot.objects.select_for_update().get(pk=paper.pk)
        if paper.status != PaperBallot.Status.PENDING:
            raise ValidationError(_("This written ballot is no longer awaiting confirmation."))
        if paper.entered_by_id == actor.pk:
            raise PermissionDenied(
                _("A second scrutineer must confirm this ballot; you entered it yourself.")
            )
        _require_counting(poll)
        if _choices(poll, choices) != sorted(paper.choices):
            raise ValidationError(
                _("Your reading differs from the first scrutineer's. Please look at the ballot "
                  "paper together; withdraw the entry if it was wrong.")
            )  # fmt: skip
        paper.status = PaperBallot.Status.COUNTED
        paper.confirmed_by, paper.confirmed_at = actor, timezone.now()
        paper.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        entry = Entry(paper.voter, paper.choices, channel=Channel.PAPER, cast_by=paper.entered_by)
        outcome = record_ballots(poll, [entry], late=True)[0]
        if isinstance(outcome, Exception):
            raise outcome  # the whole confirmation rolls back: the entry stays pending
        paper.ballot = Ballot.objects.filter(poll=poll, voter=paper.voter).order_by("pk").first()
        paper.save(update_fields=["ballot"])
        audit.record(
            actor, "poll.paper_confirmed", poll, community=poll.community,
            data={"paper": paper.pk, "voter": paper.voter_id},
        )  # fmt: skip
    return paper


def withdraw_paper_ballot(actor, paper: PaperBallot, reason: str) -> PaperBallot:
    """A pending written ballot entered wrongly is withdrawn, with a reason, by a scrutineer or
    the responsible body; a counted one never is."""
    with transaction.atomic():
        poll = _lock(paper.poll)
        require_signed_in(actor)
        if not (access.is_scrutineer(actor, poll) or access.responsible_for_poll(actor, poll)):
            raise PermissionDenied(_("Only a scrutineer or the responsible body may do that."))
        paper = PaperBallot.objects.select_for_update().get(pk=paper.pk)
        if paper.status != PaperBallot.Status.PENDING:
            raise ValidationError(_("Only a ballot awaiting confirmation can be withdrawn."))
        paper.status, paper.reason = PaperBallot.Status.WITHDRAWN, _reason(reason)
        paper.save(update_fields=["status", "reason"])
        audit.record(
            actor, "poll.paper_withdrawn", poll, community=poll.community,
            data={"paper": paper.pk, "reason": paper.reason},
        )  # fmt: skip
    return paper


# --- Secret written ballots: receipts at the box, and the box's count -----------------------


def record_paper_receipt(actor, poll: Poll, *, voter=None, unit=None) -> None:
    """A voter takes a written ballot at the box of a secret vote: their receipt is recorded
    (they have voted, on paper), with nothing about their choice."""
    with transaction.atomic():
        poll = _lock(poll)
        require_scrutineer(actor, poll)
        if not poll.secret:
            raise ValidationError(_("This vote is named: enter each written ballot instead."))
        _require_collecting(poll)
        if unit is not None:
            voter = voter_of_unit(poll, unit)
        if voter is None:
            raise ValidationError(_("Choose the voter or the unit."))
        _check_first_entry(poll, voter)
        entry = Entry(voter, None, channel=Channel.PAPER, cast_by=actor, receipt_only=True)
        outcome = record_ballots(poll, [entry])[0]
        if isinstance(outcome, Exception):
            raise outcome


def _box_entries(poll: Poll, totals) -> tuple[list[bytes], int, Decimal]:
    """A box's count as urn entries: per choice, its heads (and area, for owners)."""
    if poll.max_choices != 1:
        raise ValidationError(
            _("A box of a multiple-choice secret vote cannot be entered as totals.")
        )
    codes = list(poll.choices.values_list("code", flat=True))
    entries, heads, area = [], 0, Decimal(0)
    for position, code in enumerate(codes):
        cell = totals.get(code) or {}
        try:
            n = int(cell.get("heads") or 0)
            weight = Decimal(str(cell.get("area") or 0)).quantize(Decimal("0.01"))
        except (ValueError, TypeError, InvalidOperation):
            raise ValidationError(_("Enter whole numbers of ballots, and areas in m².")) from None
        if n < 0 or weight < 0:
            raise ValidationError(_("Enter whole numbers of ballots, and areas in m²."))
        if poll.electorate != Electorate.OWNERS:
            weight = Decimal(0)
        if n == 0 and weight:
            raise ValidationError(_("An area without ballots cannot be counted."))
        if n and poll.electorate == Electorate.OWNERS and not weight:
            raise ValidationError(_("Enter the area of the ballots for each choice."))
        # The area goes on the choice's first entry: only the totals are ever counted.
        entries += [sealing.pack([position], weight if i == 0 else Decimal(0)) for i in range(n)]
        heads, area = heads + n, area + weight
    if heads == 0:
        raise ValidationError(_("The box holds no ballots."))
    return entries, heads, area


def _box_token(poll: Poll) -> str:
    return f"{poll.pk}:box"  # a box's count cannot be put in place of the urn


def _totals(poll: Poll, entries: list[bytes]) -> Counter:
    counted: Counter = Counter()
    for entry in entries:
        positions, weight = sealing.unpack(entry)
        for p in positions:
            counted[(p, "heads")] += 1
            counted[(p, "area")] += weight
    return counted


def enter_paper_box(actor, poll: Poll, *, label: str, totals: dict) -> PaperBox:
    """A scrutineer enters a counted box of a secret vote; it is sealed until a second
    scrutineer's own count of the box matches."""
    label = (label or "").strip()[:60]
    if not label:
        raise ValidationError(_("Please name the ballot box."))
    with transaction.atomic():
        poll = _lock(poll)
        require_scrutineer(actor, poll)
        if not poll.secret:
            raise ValidationError(_("This vote is named: enter each written ballot instead."))
        _require_counting(poll)
        entries, heads, area = _box_entries(poll, totals)
        if poll.paper_boxes.exclude(status=PaperBox.Status.WITHDRAWN).filter(label=label).exists():
            raise ValidationError(_("A box named %(label)s is already entered.") % {"label": label})
        box = PaperBox.objects.create(
            poll=poll,
            label=label,
            heads=heads,
            area=area,
            sealed=sealing.seal(_box_token(poll), entries),
            entered_by=actor,
        )
        audit.record(
            actor, "poll.box_entered", poll, community=poll.community,
            data={"box": label, "ballots": heads},
        )  # fmt: skip
    return box


def confirm_paper_box(actor, box: PaperBox, totals: dict) -> PaperBox:
    """A second scrutineer counts the box on their own: when the counts agree, and the box fits
    the paper receipts not yet counted, its ballots go into the urn."""
    with transaction.atomic():
        poll = _lock(box.poll)
        require_scrutineer(actor, poll)
        box = PaperBox.objects.select_for_update().get(pk=box.pk)
        if box.status != PaperBox.Status.PENDING:
            raise ValidationError(_("This box is no longer awaiting confirmation."))
        if box.entered_by_id == actor.pk:
            raise PermissionDenied(
                _("A second scrutineer must confirm this box; you entered it yourself.")
            )
        _require_counting(poll)
        mine, heads, area = _box_entries(poll, totals)
        first = sealing.unseal(_box_token(poll), box.sealed)
        if _totals(poll, mine) != _totals(poll, first):
            raise ValidationError(
                _("Your count differs from the first scrutineer's. Please count the box again "
                  "together; withdraw the entry if it was wrong.")
            )  # fmt: skip
        figures = paper_figures(poll)
        if figures["boxed_heads"] + heads > figures["receipt_heads"]:
            raise ValidationError(
                _("The box holds more ballots than the voters recorded at the box and not yet "
                  "counted (%(n)d). Record their receipts first.")
                % {"n": figures["receipt_heads"] - figures["boxed_heads"]}
            )  # fmt: skip
        if poll.electorate == Electorate.OWNERS and (
            figures["boxed_area"] + area > figures["receipt_area"]
        ):
            raise ValidationError(
                _("The box's area is more than the area of the voters recorded at the box.")
            )
        store_sealed(poll, first)
        box.status, box.sealed = PaperBox.Status.COUNTED, ""
        box.confirmed_by, box.confirmed_at = actor, timezone.now()
        box.save(update_fields=["status", "sealed", "confirmed_by", "confirmed_at"])
        audit.record(
            actor, "poll.box_confirmed", poll, community=poll.community,
            data={"box": box.label, "ballots": heads},
        )  # fmt: skip
        meeting_log.tally_changed(poll)
    return box


def withdraw_paper_box(actor, box: PaperBox, reason: str) -> PaperBox:
    """A pending box entered wrongly is withdrawn with a reason; a counted one never is."""
    with transaction.atomic():
        poll = _lock(box.poll)
        require_signed_in(actor)
        if not (access.is_scrutineer(actor, poll) or access.responsible_for_poll(actor, poll)):
            raise PermissionDenied(_("Only a scrutineer or the responsible body may do that."))
        box = PaperBox.objects.select_for_update().get(pk=box.pk)
        if box.status != PaperBox.Status.PENDING:
            raise ValidationError(_("Only a box awaiting confirmation can be withdrawn."))
        box.status, box.reason, box.sealed = PaperBox.Status.WITHDRAWN, _reason(reason), ""
        box.save(update_fields=["status", "reason", "sealed"])
        audit.record(
            actor, "poll.box_withdrawn", poll, community=poll.community,
            data={"box": box.label, "reason": box.reason},
        )  # fmt: skip
    return box


# --- What the register holds ----------------------------------------------------------------


def _unit_area(slots) -> Decimal:
    ids = [int(s.split(":", 1)[1]) for s in slots if s.startswith("unit:")]
    total = Unit.objects.filter(pk__in=ids).aggregate(a=Sum("area"))["a"]
    return Decimal(total or 0)


def paper_figures(poll: Poll) -> dict:
    """Written ballots of a secret vote: voters recorded at the box (heads, area) and ballots
    counted from confirmed boxes."""
    receipts = VoterReceipt.objects.filter(poll=poll, channel=Channel.PAPER)
    boxed = poll.paper_boxes.filter(status=PaperBox.Status.COUNTED)
    return {
        "receipt_heads": receipts.values("voter").distinct().count(),
        "receipt_area": _unit_area(receipts.values_list("slot", flat=True)),
        "boxed_heads": boxed.aggregate(n=Sum("heads"))["n"] or 0,
        "boxed_area": Decimal(boxed.aggregate(a=Sum("area"))["a"] or 0),
    }


def paper_outstanding(poll: Poll) -> str:
    """Why the poll cannot close yet because of its paper ("" when nothing waits): written
    ballots or boxes awaiting a second scrutineer, or voters recorded at a box not yet counted.
    Nothing collected is dropped by the close."""
    pending = poll.paper_ballots.filter(status=PaperBallot.Status.PENDING).count()
    boxes = poll.paper_boxes.filter(status=PaperBox.Status.PENDING).count()
    if pending or boxes:
        return _(
            "%(ballots)d written ballots and %(boxes)d ballot boxes await a second scrutineer: "
            "confirm or withdraw them before the vote closes."
        ) % {"ballots": pending, "boxes": boxes}
    if poll.secret:
        figures = paper_figures(poll)
        if figures["boxed_heads"] != figures["receipt_heads"]:
            return _(
                "%(recorded)d voters took a written ballot at the box but %(counted)d ballots "
                "were counted from the boxes: enter every box before the vote closes."
            ) % {"recorded": figures["receipt_heads"], "counted": figures["boxed_heads"]}
    return ""


def reconciliation(poll: Poll) -> dict:
    """By way of voting (online, paper, proxy): ballots, heads and area in the register, and
    the totals, which must equal the sum of the ways. For a secret vote these are the receipts
    (who took part), never what was chosen."""
    model = VoterReceipt if poll.secret else Ballot
    rows = model.objects.filter(poll=poll)
    channels = {}
    for channel in Channel:
        mine = rows.filter(channel=channel)
        if poll.secret:
            heads = mine.values("voter").distinct().count()
            area = (
                _unit_area(mine.values_list("slot", flat=True))
                if poll.electorate == Electorate.OWNERS
                else Decimal(0)
            )
        else:
            heads = mine.values("head").distinct().count()
            area = Decimal(mine.aggregate(a=Sum("weight"))["a"] or 0)
        channels[channel.value] = {
            "label": channel.label,
            "ballots": mine.count(),
            "heads": heads,
            "area": area,
        }
    if poll.secret:
        total_heads = rows.values("voter").distinct().count()
        total_area = (
            _unit_area(rows.values_list("slot", flat=True))
            if poll.electorate == Electorate.OWNERS
            else Decimal(0)
        )
    else:
        total_heads = rows.values("head").distinct().count()
        total_area = Decimal(rows.aggregate(a=Sum("weight"))["a"] or 0)
    total = {"ballots": rows.count(), "heads": total_heads, "area": total_area}
    summed = {
        key: sum((c[key] for c in channels.values()), Decimal(0) if key == "area" else 0)
        for key in ("ballots", "heads", "area")
    }
    return {
        "channels": channels,
        "total": total,
        "balanced": summed == total,
        "pending": poll.paper_ballots.filter(status=PaperBallot.Status.PENDING).count(),
        "pending_boxes": poll.paper_boxes.filter(status=PaperBox.Status.PENDING).count(),
        "electorate": {"heads": poll.electorate_heads, "area": poll.electorate_area},
    }

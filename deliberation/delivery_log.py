"""Reading the delivery log: how far a matter's notices reached, in sum and per recipient, for
the body responsible for the matter (deliberation.access.answers_for_notices)."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Ownership
from deliberation.models import Delivery, Notification

# The notices to the electorate whose reach the matter page shows, in this order.
TRACKED_KINDS = ("owners_notice", "poll_opened", "poll_reminder")
KIND_LABELS = {
    "owners_notice": gettext_lazy("Owners' notice"),
    "poll_opened": gettext_lazy("Voting opened"),
    "poll_reminder": gettext_lazy("Reminder to vote"),
}

# A person is reached when an e-mail, a text or a paper copy went out, or they read it in the
# app (an unread in-app notice proves nothing: many never open the app).
REACHED = Q(
    channel__in=(Delivery.Channel.EMAIL, Delivery.Channel.SMS, Delivery.Channel.PAPER),
    state=Delivery.State.SENT,
) | Q(state=Delivery.State.READ)


@dataclass
class Summary:
    kind: str
    total: int
    reached: int
    unread: int  # reached but not (yet) read in the app
    by_unit: bool  # counted per unit (户) rather than per person

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def sentence(self) -> str:
        """e.g. 已送达 112/118 户，未读 30."""
        numbers = {"reached": self.reached, "total": self.total, "unread": self.unread}
        if self.by_unit:
            return _("Reached %(reached)s of %(total)s households, %(unread)s unread") % numbers
        return _("Reached %(reached)s of %(total)s people, %(unread)s unread") % numbers


@dataclass
class RecipientRow:
    notification: Notification
    units: list = field(default_factory=list)
    deliveries: dict = field(default_factory=dict)  # channel -> Delivery

    @property
    def reached(self) -> bool:
        return any(
            d.state == Delivery.State.READ
            or (d.state == Delivery.State.SENT and d.channel != Delivery.Channel.IN_APP)
            for d in self.deliveries.values()
        )


def notices_of(matter, kind):
    return Notification.objects.filter(matter=matter, kind=kind)


def kinds_sent(matter) -> list[str]:
    """The tracked kinds of notice this matter has sent, in display order."""
    sent = set(
        Notification.objects.filter(matter=matter, kind__in=TRACKED_KINDS)
        .values_list("kind", flat=True)
        .distinct()
    )
    return [kind for kind in TRACKED_KINDS if kind in sent]


def _units_of(matter, recipient_ids) -> dict[int, list]:
    """Each recipient's units of the matter's estate (owners are counted per unit)."""
    if matter.estate_id is None:
        return {}
    units: dict[int, list] = {}
    owned = (
        Ownership.objects.current()
        .filter(unit__estate=matter.estate_id, owner_id__in=recipient_ids)
        .select_related("unit")
        .order_by("unit__building", "unit__number")
    )
    for ownership in owned:
        units.setdefault(ownership.owner_id, []).append(ownership.unit)
    return units


def summary(matter, kind) -> Summary:
    """How far this matter's notices of `kind` reached: per unit (户) when the matter is an
    estate's (owners), else per person."""
    notes = notices_of(matter, kind)
    recipients = set(notes.values_list("recipient_id", flat=True))
    logged = Delivery.objects.filter(notification__in=notes)
    reached = set(logged.filter(REACHED).values_list("notification__recipient_id", flat=True))
    read = set(
        logged.filter(state=Delivery.State.READ).values_list(
            "notification__recipient_id", flat=True
        )
    )
    units = _units_of(matter, recipients)
    if units:
        holders: dict[int, set[int]] = {}
        for owner_id, owned in units.items():
            for unit in owned:
                holders.setdefault(unit.pk, set()).add(owner_id)
        reached_units = {u for u, owners in holders.items() if owners & reached}
        read_units = {u for u, owners in holders.items() if owners & read}
        return Summary(
            kind, len(holders), len(reached_units), len(reached_units - read_units), True
        )
    return Summary(kind, len(recipients), len(reached), len(reached - read), False)


def recipients(matter, kind) -> list[RecipientRow]:
    """Every recipient of the matter's notices of `kind`, with their units and each channel's
    delivery, ordered by unit then name."""
    notes = list(notices_of(matter, kind).select_related("recipient").order_by("recipient_id"))
    rows: dict[int, RecipientRow] = {}
    for note in notes:
        rows.setdefault(note.recipient_id, RecipientRow(note))
    units = _units_of(matter, list(rows))
    recipient_of = {note.pk: note.recipient_id for note in notes}
    for delivery in Delivery.objects.filter(notification__in=notes).order_by("notification_id"):
        rows[recipient_of[delivery.notification_id]].deliveries[delivery.channel] = delivery
    for uid, row in rows.items():
        row.units = units.get(uid, [])
    return sorted(
        rows.values(),
        key=lambda r: (
            [(u.building, u.number) for u in r.units] or [("~", "")],
            str(r.notification.recipient),
        ),
    )

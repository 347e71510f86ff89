"""Notices: marking one's notifications read, the daily reminders of overdue matters, and the
notices that reach the electorate (the reminder before a poll closes is the polls service's,
which alone writes polls)."""

from django.db import transaction
from django.utils import timezone

from communities.models import Ownership
from deliberation import access, electorates
from deliberation import notify as notices
from deliberation.models import Matter, Notification, Poll
from deliberation.services.common import actor_ids, require_signed_in, stakeholder_ids


def mark_notifications_read(actor, ids=None, *, matter=None) -> int:
    """Mark the actor's notifications as read: all, these ids, or those about one matter (read
    by opening its page); their in-app deliveries become read in the delivery log."""
    require_signed_in(actor)
    qs = actor.notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if matter is not None:
        qs = qs.filter(matter=matter)
    now = timezone.now()
    with transaction.atomic():
        read = list(qs.values_list("pk", flat=True))
        if read:
            notices.mark_read(read, now)
        return Notification.objects.filter(pk__in=read).update(read_at=now)


def remind_overdue(now=None) -> int:
    """Notify the bodies that must act on each overdue matter, at most once a day per matter."""
    now = now or timezone.now()
    since = now - timezone.timedelta(days=1)
    recent = Notification.objects.filter(kind="overdue", created_at__gte=since).values("matter_id")
    reminded = 0
    overdue = (
        Matter.objects.filter(access.overdue_q(now))
        .exclude(pk__in=recent)
        .select_related("community")
        .distinct()
    )
    for matter in overdue:
        with transaction.atomic():
            recipients = actor_ids(matter) | stakeholder_ids(matter)
            recipients |= notices.people_of(
                e.to_organization for e in matter.escalations.filter(answered_at__isnull=True)
            )
            notices.notify(recipients, "overdue", matter=matter)
        reminded += 1
    return reminded


def tell_electorate_poll_opened(poll, actor) -> None:
    """A poll opened: its whole electorate is told (and the matter's stakeholders, as before),
    each person once."""
    recipients = electorates.member_ids(poll)
    data = {"question": poll.question}
    if poll.matter is not None:
        recipients |= stakeholder_ids(poll.matter)
        notices.notify(
            recipients, "poll_opened", matter=poll.matter, data=data, exclude=actor, reach=True
        )
    elif poll.agenda_item is not None:
        data["meeting"] = poll.agenda_item.meeting.title
        notices.notify(recipients, "meeting_poll_opened", data=data, exclude=actor, reach=True)


def tell_owners_of_notice(matter, actor) -> int:
    """The owners' notice is published: every owner of the estate is told, with its agenda
    (the questions drafted into the notice)."""
    owners = Ownership.objects.current().filter(unit__estate=matter.estate_id)
    agenda = [
        poll.question
        for poll in Poll.objects.filter(matter=matter, status=Poll.Status.DRAFT).order_by("pk")
    ]
    items = "；".join(f"{number}. {question}" for number, question in enumerate(agenda, 1))
    return notices.notify(
        set(owners.values_list("owner_id", flat=True)),
        "owners_notice",
        matter=matter,
        data={"agenda": items},
        exclude=actor,
        reach=True,
    )


def tell_resident_decided(sender, membership, verb, **kwargs) -> None:
    """`communities.events.membership_decided` receiver: the resident hears the decision."""
    data = {"community": membership.community.name}
    if verb == "membership.verified":
        kind = "membership_verified"
    else:
        kind, data["reason"] = "membership_rejected", membership.reason
    notices.notify({membership.user_id}, kind, data=data, reach=True)

"""Proxies (委托, 物业管理条例 Art. 12): an owner or resident authorises another person, on a
written authorisation, to vote for them in one poll or in the polls of one meeting.

- One proxy holds at most the community's `proxy.max_per_proxy` authorisations for one poll or
  meeting (default 3).
- The voter may revoke until the proxy has voted; a voter who votes first keeps their own vote,
  and their proxy's authorisation for that poll lapses (`ballots.record_ballots`).
- A proxy's ballot fills the voter's own slots: their units' area and their head.
- Council votes take no proxy unless the community allows it (`proxy.council_allowed`).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import attachments, audit
from deliberation import access, electorates, rules
from deliberation.models import Channel, Meeting, Poll, Proxy
from deliberation.rules import Rule
from deliberation.services.ballots import Entry, record_ballots
from deliberation.services.common import require_signed_in


def _is_council(poll: Poll | None, meeting: Meeting | None) -> bool:
    if poll is not None:
        return poll.rule == Rule.COUNCIL
    return meeting.kind == Meeting.Kind.COUNCIL


def _open_polls_of(meeting: Meeting):
    return Poll.objects.filter(agenda_item__meeting=meeting)


def may_register_proxy(actor, principal, poll: Poll | None, meeting: Meeting | None) -> bool:
    """The voter themselves, or `access.registers_proxies`."""
    return actor.pk == principal.pk or access.registers_proxies(actor, poll, meeting)


def authorise_proxy(
    actor, principal, holder, *, poll: Poll | None = None, meeting: Meeting | None = None, upload
) -> Proxy:
    """Record that `principal` authorises `holder` to vote for them, with the written
    authorisation attached (an image or a PDF, checked by its content)."""
    require_signed_in(actor)
    if (poll is None) == (meeting is None):
        raise ValidationError(_("A proxy is for one poll or one meeting."))
    if principal is None or holder is None:
        raise ValidationError(_("Choose the voter and their proxy."))
    if principal.pk == holder.pk:
        raise ValidationError(_("A voter cannot be their own proxy."))
    if not holder.is_active:
        raise ValidationError(_("The proxy's account is not active."))
    community = poll.community if poll is not None else meeting.community
    if not may_register_proxy(actor, principal, poll, meeting):
        raise PermissionDenied(
            _("Only the voter or the body responsible for the vote may do that.")
        )
    if _is_council(poll, meeting) and not rules.setting(
        community.settings, "proxy.council_allowed"
    ):
        raise ValidationError(_("This community's council votes take no proxies."))
    if poll is not None:
        if poll.is_closed:
            raise ValidationError(_("This poll is closed."))
        if not electorates.slots(principal, poll):
            raise ValidationError(_("This person is not in this poll's electorate."))
    elif meeting.status == Meeting.Status.ENDED:
        raise ValidationError(_("This meeting has ended."))
    cap = rules.setting(community.settings, "proxy.max_per_proxy")
    with transaction.atomic():
        # The holder's row orders two authorisations for the same proxy: the cap holds.
        type(holder).objects.select_for_update().filter(pk=holder.pk).first()
        scope = Q(poll=poll) if poll is not None else Q(meeting=meeting)
        held = Proxy.objects.filter(scope, holder=holder, status=Proxy.Status.ACTIVE).count()
        if held >= cap:
            raise ValidationError(
                _("%(name)s already holds %(n)d authorisations for this vote, the most one proxy "
                  "may hold here.") % {"name": holder, "n": cap}
            )  # fmt: skip
        if Proxy.objects.filter(scope, principal=principal, status=Proxy.Status.ACTIVE).exists():
            raise ValidationError(
                _("%(name)s has already authorised a proxy for this vote; revoke it first.")
                % {"name": principal}
            )
        document = attachments.store(actor, community, upload)
        proxy = Proxy.objects.create(
            community=community,
            principal=principal,
            holder=holder,
            poll=poll,
            meeting=meeting,
            document=document,
            created_by=actor,
        )
        audit.record(
            actor, "proxy.authorised", proxy, community=community,
            data={"principal": principal.pk, "holder": holder.pk,
                  "poll": getattr(poll, "pk", None), "meeting": getattr(meeting, "pk", None)},
        )  # fmt: skip
    return proxy


def revoke_proxy(actor, proxy: Proxy) -> Proxy:
    """The voter (or the body that registered it for them) revokes a proxy the proxy has not
    used yet."""
    require_signed_in(actor)
    with transaction.atomic():
        proxy = (
            Proxy.objects.select_for_update(of=("self",))
            .select_related("poll", "meeting")
            .get(pk=proxy.pk)
        )
        if not may_register_proxy(actor, proxy.principal, proxy.poll, proxy.meeting):
            raise PermissionDenied(_("Only the voter may revoke their proxy."))
        if proxy.status == Proxy.Status.USED:
            raise ValidationError(_("The proxy has already voted; it can no longer be revoked."))
        if proxy.status != Proxy.Status.ACTIVE:
            raise ValidationError(_("This proxy is no longer in force."))
        proxy.status, proxy.ended_at = Proxy.Status.REVOKED, timezone.now()
        proxy.save(update_fields=["status", "ended_at"])
        audit.record(actor, "proxy.revoked", proxy, community=proxy.community)
    return proxy


def proxies_held(user, poll: Poll):
    """The authorisations `user` holds that cover this poll (its own, or its meeting's)."""
    if not user.is_authenticated:
        return Proxy.objects.none()
    scope = Q(poll=poll)
    if poll.agenda_item_id is not None:
        scope |= Q(meeting__items=poll.agenda_item_id)
    return (
        Proxy.objects.filter(
            scope, holder=user, status__in=[Proxy.Status.ACTIVE, Proxy.Status.USED]
        )
        .select_related("principal")
        .distinct()
    )


def cast_by_proxy(actor, proxy: Proxy, poll: Poll, choices) -> dict:
    """The proxy casts the voter's ballot: it fills the voter's slots (area and head), marked
    as by proxy. A voter who has voted themselves keeps their vote; the proxy is told so."""
    require_signed_in(actor)
    with transaction.atomic():
        proxy = Proxy.objects.select_for_update().get(pk=proxy.pk)
        if proxy.holder_id != actor.pk:
            raise PermissionDenied(_("You do not hold this authorisation."))
        covers = proxy.poll_id == poll.pk or (
            proxy.meeting_id is not None
            and poll.agenda_item_id is not None
            and poll.agenda_item.meeting_id == proxy.meeting_id
        )
        if not covers:
            raise PermissionDenied(_("This authorisation is not for this vote."))
        if proxy.status == Proxy.Status.LAPSED:
            raise ValidationError(_("%(name)s has voted themselves.") % {"name": proxy.principal})
        if proxy.status not in (Proxy.Status.ACTIVE, Proxy.Status.USED):
            raise ValidationError(_("This proxy is no longer in force."))
        if proxy.status == Proxy.Status.USED and proxy.poll_id == poll.pk:
            raise ValidationError(
                _("You have already voted for %(name)s.") % {"name": proxy.principal}
            )
        entry = Entry(proxy.principal, choices, channel=Channel.PROXY, cast_by=actor)
        outcome = record_ballots(poll, [entry])[0]
        if isinstance(outcome, Exception):
            raise outcome
        if proxy.status == Proxy.Status.ACTIVE:
            proxy.status = Proxy.Status.USED
            proxy.save(update_fields=["status"])
    return outcome

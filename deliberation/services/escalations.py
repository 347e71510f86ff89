"""Escalation: community → street → district, with a reason, a deadline and an answer."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Organization
from deliberation import access, rules
from deliberation import notify as notices
from deliberation.models import Escalation, Matter
from deliberation.services.common import (
    clean_text,
    locked_matter,
    publish,
    require,
    stakeholder_ids,
)

Kind = Organization.Kind


def escalate(actor, matter: Matter, *, reason: str, grace_days: int = 0) -> Escalation:
    """Send a matter up one level (community → street → district) with a reason and deadline."""
    require(
        actor,
        "communities.escalate",
        matter.community,
        _("Only the residents' committee, the workstation and the street may escalate."),
    )
    reason = clean_text(reason, _("reason"), limit=5000)
    if not isinstance(grace_days, int) or not 0 <= grace_days <= 60:
        raise ValidationError(_("The grace period is 0 to 60 days."))
    with transaction.atomic():
        matter = locked_matter(matter)
        if not matter.in_progress:
            raise ValidationError(_("This matter is closed."))
        levels = list(matter.escalations.values_list("level", flat=True))
        if Escalation.Level.DISTRICT in levels:
            raise ValidationError(_("This matter has already reached the district."))
        level = (
            Escalation.Level.DISTRICT
            if Escalation.Level.STREET in levels
            else Escalation.Level.STREET
        )
        if (
            level == Escalation.Level.DISTRICT
            and not actor.has_perm(
                "communities.answer_escalation",
                access.body_of_kind(matter.community, Kind.STREET_OFFICE),
            )
            and not actor.is_superuser
        ):
            raise PermissionDenied(
                _("Only the street office may send a matter on to the district.")
            )
        kind = Kind.STREET_OFFICE if level == Escalation.Level.STREET else Kind.DISTRICT_OFFICE
        to = access.body_of_kind(matter.community, kind)
        if to is None:
            raise ValidationError(_("No body is set up to receive escalations at that level."))
        now = timezone.now()
        days = rules.setting(matter.community.settings, "escalation.answer_days")
        escalation = Escalation.objects.create(
            matter=matter,
            level=level,
            to_organization=to,
            reason=reason,
            grace_days=grace_days,
            deadline=rules.deadline_for(
                timezone.localtime(now), days, working=True, grace_days=grace_days
            ),
            raised_by=actor,
            raised_at=now,
        )
        matter.stakeholders.add(to)
        audit.record(
            actor,
            "matter.escalated",
            escalation,
            community=matter.community,
            data={"matter": matter.reference, "level": level, "grace_days": grace_days},
        )
        notices.notify(
            notices.people_of([to]) | stakeholder_ids(matter),
            "escalated",
            matter=matter,
            data={"to": to.name},
            exclude=actor,
        )
        publish(matter, "escalated", {"level": level})
    return escalation


def answer_escalation(actor, escalation: Escalation, *, response: str) -> Escalation:
    """The receiving level answers an escalated matter."""
    require(
        actor,
        "communities.answer_escalation",
        escalation.to_organization,
        _("Only officers of the receiving body may answer this escalation."),
    )
    response = clean_text(response, _("response"), limit=10000)
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if escalation.answered_at is not None:
            raise ValidationError(_("This escalation has already been answered."))
        escalation.response = response
        escalation.answered_by = actor
        escalation.answered_at = timezone.now()
        escalation.save(update_fields=["response", "answered_by", "answered_at"])
        matter = escalation.matter
        audit.record(
            actor,
            "escalation.answered",
            escalation,
            community=matter.community,
            data={"matter": matter.reference, "late": escalation.answered_at > escalation.deadline},
        )
        notices.notify(
            stakeholder_ids(matter) | {escalation.raised_by_id},
            "escalation_answered",
            matter=matter,
            exclude=actor,
        )
        publish(matter, "escalation", {"answered": escalation.pk})
    return escalation

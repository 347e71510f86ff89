"""Resolutions (决议公开) and their implementation updates (实施结果公开)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Community, Organization
from deliberation import access, procedures
from deliberation import notify as notices
from deliberation.models import ImplementationUpdate, Matter, Poll, Resolution
from deliberation.services.common import (
    clean_text,
    locked_matter,
    publish,
    record_transition,
    require_stage_action,
    stage_clock,
    stakeholder_ids,
)
from deliberation.text import render_markdown

Kind = Organization.Kind
P = procedures


def publish_resolution(actor, matter: Matter, *, text: str) -> Resolution:
    """Publish the numbered resolution of a matter (决议公开), linked to its deciding poll."""
    text = clean_text(text, _("resolution text"))
    with transaction.atomic():
        matter = locked_matter(matter)
        acting = require_stage_action(actor, matter, P.PUBLISH_RESOLUTION)
        if Resolution.objects.filter(matter=matter).exists():
            raise ValidationError(_("This matter already has its resolution."))
        issuing = access.actor_organization(matter, acting) or access.body_of_kind(
            matter.community, Kind.RESIDENTS_COMMITTEE
        )
        if issuing is None:
            raise ValidationError(_("No body is set up to issue this resolution."))
        # The resolution rests on the vote that carried the matter: its latest passed poll.
        closed = matter.polls.filter(status=Poll.Status.CLOSED).order_by("-closed_at", "-pk")
        poll = next((p for p in closed if (p.result or {}).get("passed")), closed.first())
        now = timezone.now()
        Community.objects.select_for_update().filter(pk=matter.community_id).first()
        number = (
            Resolution.objects.filter(community=matter.community, year=now.year).aggregate(
                n=Max("number")
            )["n"]
            or 0
        ) + 1
        resolution = Resolution.objects.create(
            community=matter.community,
            matter=matter,
            poll=poll,
            year=now.year,
            number=number,
            reference=f"{matter.community.code}-R-{now.year}-{number:03d}",
            text=text,
            text_html=render_markdown(text),
            published_by=actor,
            issuing_body=issuing,
            published_at=now,
        )
        matter.status = Matter.Status.DECIDED
        matter.save(update_fields=["status"])
        record_transition(matter, actor, "resolution", note=resolution.reference, acting=acting)
        audit.record(
            actor,
            "resolution.published",
            resolution,
            community=matter.community,
            data={"matter": matter.reference, "poll": poll.pk if poll else None},
        )
        notices.notify(
            stakeholder_ids(matter),
            "resolution",
            matter=matter,
            data={"number": resolution.reference},
            exclude=actor,
        )
        publish(matter, "resolution", {"resolution": resolution.reference})
    return resolution


def post_update(actor, matter: Matter, *, text: str, status: str) -> ImplementationUpdate:
    """Publish progress on carrying out the resolution (实施结果公开)."""
    text = clean_text(text, _("update"), limit=10000)
    if status not in (Resolution.Status.IN_PROGRESS, Resolution.Status.COMPLETED):
        raise ValidationError(_("Say whether the work is in progress or completed."))
    with transaction.atomic():
        matter = locked_matter(matter)
        require_stage_action(actor, matter, P.POST_UPDATE)
        resolution = Resolution.objects.filter(matter=matter).first()
        if resolution is None:
            raise ValidationError(_("There is no resolution to report on."))
        update = ImplementationUpdate.objects.create(
            resolution=resolution,
            text=text,
            text_html=render_markdown(text),
            status=status,
            author=actor,
        )
        resolution.status = status
        resolution.save(update_fields=["status"])
        now = timezone.now()
        stage = matter.stage_spec
        if stage.deadline and status != Resolution.Status.COMPLETED:
            matter.deadline, _minimum = stage_clock(matter, stage, now)  # next report due
            matter.save(update_fields=["deadline"])
        audit.record(
            actor,
            "resolution.updated",
            resolution,
            community=matter.community,
            data={"status": status, "update": update.pk},
        )
        notices.notify(stakeholder_ids(matter), "update", matter=matter, exclude=actor)
        publish(matter, "update", {"status": status})
    return update

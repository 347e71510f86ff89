"""Matters through their procedures: proposing, moving on stage by stage (each guarded by what the
stage requires), and ending rejected, withdrawn, merged, or rated by the requester."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Community, Organization
from deliberation import access, procedures, rules
from deliberation import notify as notices
from deliberation.models import Matter, Poll, Resolution
from deliberation.services.common import (
    actor_ids,
    clean_text,
    locked_matter,
    publish,
    record_transition,
    require,
    require_signed_in,
    require_stage_action,
    stage_clock,
    stakeholder_ids,
)
from deliberation.services.notices import tell_owners_of_notice
from deliberation.services.polls import close_polls_of_ended_matter, stage_passed
from deliberation.text import excerpt_of_html, render_markdown

Kind = Organization.Kind
P = procedures


def propose_matter(
    actor,
    community: Community,
    *,
    title: str,
    body: str,
    category: str,
    procedure: str,
    on_behalf_of: Organization | None = None,
    stakeholders=(),
    estate=None,
    concern_kind: str = "",
    project_type: str = "",
    budget: Decimal | None = None,
    visibility: str = "",
) -> Matter:
    """Put a new matter on the ledger, at the first stage of its procedure."""
    require_signed_in(actor)
    try:
        spec = procedures.get(procedure)
    except KeyError:
        raise ValidationError(_("Choose one of the procedures.")) from None
    if spec.needs_estate:
        if estate is None or estate.community_id != community.pk:
            raise ValidationError(_("Choose the estate whose owners decide this matter."))
        require(
            actor,
            "communities.propose_matter",
            estate,
            _("Only the estate's owners and its committees may propose owners' decisions."),
        )
    else:
        estate = None
        require(
            actor,
            "communities.propose_matter",
            community,
            _("Only verified residents and the community's bodies may propose matters."),
        )
    if on_behalf_of is not None:
        if on_behalf_of.community_id != community.pk:
            raise ValidationError(_("That organisation is not in this community."))
        require(
            actor,
            "communities.speak_for_organization",
            on_behalf_of,
            _("You may only propose on behalf of an organisation you speak for."),
        )
    title = clean_text(title, _("title"), limit=120)
    body = clean_text(body, _("description"))
    body_html = render_markdown(body)  # rendered once, here; pages never render it again
    first_body = None
    if procedure == procedures.CONCERN.code:
        if concern_kind not in {"urgent", "enquiry", "complaint"}:
            raise ValidationError(_("Choose the kind of concern."))
        first_body = access.body_of_kind(community, Kind.WORKSTATION)
        if first_body is None:
            raise ValidationError(_("This community has no workstation to receive concerns."))
    else:
        concern_kind = ""
    if procedure == procedures.MICRO_PROJECT.code:
        if project_type not in {"service", "goods", "works"} or budget is None:
            raise ValidationError(_("Give the project type and its budget."))
        caps = rules.setting(community.settings, "micro_project.caps")
        if not rules.within_budget(project_type, Decimal(budget), caps):
            raise ValidationError(
                _("The budget is over this community's cap of ¥%(cap)s for this project type.")
                % {"cap": caps.get(project_type)}
            )
    else:
        project_type, budget = "", None
    if not visibility:
        visibility = (
            Matter.Visibility.MEMBERS
            if procedure == procedures.CONCERN.code
            else Matter.Visibility.PUBLIC
        )
    now = timezone.now()
    with transaction.atomic():
        # Serialise numbering per community: the community row is the lock.
        Community.objects.select_for_update().filter(pk=community.pk).first()
        number = (
            Matter.objects.filter(community=community, year=now.year).aggregate(n=Max("number"))[
                "n"
            ]
            or 0
        ) + 1
        first = spec.stages[0]
        matter = Matter(
            community=community,
            year=now.year,
            number=number,
            reference=f"{community.code}-{now.year}-{number:04d}",
            title=title,
            body=body,
            body_html=body_html,
            excerpt=excerpt_of_html(body_html, Matter.EXCERPT_CHARS),
            category=category,
            procedure=procedure,
            stage=first.code,
            visibility=visibility,
            proposer=actor,
            on_behalf_of=on_behalf_of,
            estate=estate,
            first_body=first_body,
            concern_kind=concern_kind,
            project_type=project_type,
            budget=budget,
            stage_started_at=now,
            created_at=now,
        )
        matter.deadline, matter.deadline_is_minimum = stage_clock(matter, first, now)
        matter.full_clean(exclude=["stakeholders"])
        matter.save()
        orgs = {o for o in stakeholders if o.community_id == community.pk}
        orgs |= {o for o in (on_behalf_of, first_body) if o is not None}
        if estate is not None:
            orgs |= set(estate.organizations.all())
        matter.stakeholders.set(orgs)
        record_transition(matter, actor, "proposed", to_stage=first.code)
        audit.record(
            actor,
            "matter.proposed",
            matter,
            community=community,
            data={"procedure": procedure, "stage": first.code},
        )
        notices.notify(
            stakeholder_ids(matter) | actor_ids(matter), "proposed", matter=matter, exclude=actor
        )
        publish(matter, "proposed")
    return matter


def _guard_failures(matter, stage: procedures.Stage, note: str, now) -> list[str]:
    failures = []
    if P.POLL_PASSED in stage.requires:
        polls = matter.polls.all()
        if polls.filter(status=Poll.Status.OPEN).exists():
            failures.append(_("Close the open poll first."))
        elif not stage_passed(matter, stage):
            failures.append(
                _("A poll at this stage must have passed; otherwise reject the matter.")
            )
    if (
        P.POLL_PASSED not in stage.requires
        and P.CLOSE_POLL in stage.actions
        and matter.polls.filter(status=Poll.Status.OPEN).exists()
    ):
        failures.append(_("Close the open poll first."))
    if (
        P.POLLS_DRAFTED in stage.requires
        and not matter.polls.filter(status=Poll.Status.DRAFT).exists()
    ):
        failures.append(_("Put at least one item on the agenda first."))
    if P.RESOLUTION in stage.requires and not Resolution.objects.filter(matter=matter).exists():
        failures.append(_("Publish the resolution first."))
    if P.PERIOD_ELAPSED in stage.requires and matter.deadline and now < matter.deadline:
        failures.append(
            _("The notice period runs until %(when)s.")
            % {"when": timezone.localtime(matter.deadline).strftime("%Y-%m-%d %H:%M")}
        )
    if (
        P.OBJECTIONS_ANSWERED in stage.requires
        and matter.comments.filter(
            is_objection=True, answered_by__isnull=True, hidden_at__isnull=True
        ).exists()
    ):
        failures.append(_("Answer every objection first."))
    if (
        P.COMPLETED in stage.requires
        and not Resolution.objects.filter(
            matter=matter, status=Resolution.Status.COMPLETED
        ).exists()
    ):
        failures.append(_("Post an update that marks the work completed first."))
    if P.NOTE in stage.requires and not note:
        failures.append(_("Please write the %(what)s.") % {"what": stage.note_label or _("note")})
    return failures


def advance(actor, matter: Matter, *, note: str = "") -> Matter:
    """Move the matter to its procedure's next stage, or close it after the last one."""
    note = (note or "").strip()
    with transaction.atomic():
        matter = locked_matter(matter)
        acting = require_stage_action(actor, matter, P.ADVANCE)
        stage = matter.stage_spec
        now = timezone.now()
        failures = _guard_failures(matter, stage, note, now)
        if failures:
            raise ValidationError(failures)
        if len(note) > 10000:
            raise ValidationError(_("The note is too long (at most 10000 characters)."))
        following = matter.procedure_spec.next_stage(matter.stage)
        if following is None:
            record_transition(matter, actor, "completed", note=note, acting=acting)
            if matter.status == Matter.Status.OPEN:
                matter.status = Matter.Status.DECIDED
            matter.closed_at = now
            matter.deadline, matter.deadline_is_minimum = None, False
            matter.save()
            verb, kind, data = "matter.completed", "closed", {"status": matter.status}
        else:
            record_transition(
                matter, actor, "advanced", to_stage=following.code, note=note, acting=acting
            )
            matter.stage = following.code
            matter.stage_started_at = now
            matter.deadline, matter.deadline_is_minimum = stage_clock(matter, following, now)
            matter.save()
            verb, kind, data = "matter.advanced", "stage", {"stage": following.code}
            if matter.procedure == P.OWNERS_JOINT_DECISION.code and following.code == "notice":
                # The residents' committee is informed of every owners' meeting notice.
                rc = access.body_of_kind(matter.community, Kind.RESIDENTS_COMMITTEE)
                matter.stakeholders.add(*[o for o in [rc] if o is not None])
                tell_owners_of_notice(matter, actor)
        audit.record(
            actor, verb, matter, community=matter.community, data={**data, "from": stage.code}
        )
        notices.notify(
            stakeholder_ids(matter) | actor_ids(matter),
            kind,
            matter=matter,
            data=data,
            exclude=actor,
        )
        publish(matter, "changed", data)
    return matter


def _close(actor, matter, status: str, reason: str, verb: str, *, merged_into=None, acting=None):
    close_polls_of_ended_matter(actor, matter)
    now = timezone.now()
    record_transition(matter, actor, status, note=reason, acting=acting)
    matter.status = status
    matter.closing_reason = reason
    matter.merged_into = merged_into
    matter.closed_at = now
    matter.deadline, matter.deadline_is_minimum = None, False
    matter.save()
    data = {"status": status}
    if merged_into is not None:
        data["into"] = merged_into.reference
    audit.record(actor, verb, matter, community=matter.community, data={**data, "reason": reason})
    notices.notify(stakeholder_ids(matter), "closed", matter=matter, data=data, exclude=actor)
    publish(matter, "changed", data)
    return matter


def reject(actor, matter: Matter, *, reason: str) -> Matter:
    """End the matter as rejected by the body acting at this stage, with a reason."""
    reason = clean_text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = locked_matter(matter)
        acting = require_stage_action(actor, matter, P.REJECT)
        return _close(
            actor, matter, Matter.Status.REJECTED, reason, "matter.rejected", acting=acting
        )


def withdraw(actor, matter: Matter, *, reason: str) -> Matter:
    """The proposer (or a moderator) withdraws an open matter; it stays on the ledger."""
    reason = clean_text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = locked_matter(matter)
        require_signed_in(actor)
        if matter.status != Matter.Status.OPEN:
            raise ValidationError(_("Only an open matter can be withdrawn."))
        if matter.proposer_id != actor.pk and not access.may_moderate(actor, matter.community):
            raise PermissionDenied(_("Only the proposer or a moderator may withdraw a matter."))
        return _close(actor, matter, Matter.Status.WITHDRAWN, reason, "matter.withdrawn")


def merge(actor, matter: Matter, into: Matter, *, reason: str) -> Matter:
    """Fold a duplicate into another matter of the same community, keeping a link."""
    reason = clean_text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = locked_matter(matter)
        require(
            actor,
            "communities.moderate",
            matter.community,
            _("Only moderators may merge matters."),
        )
        if matter.status != Matter.Status.OPEN:
            raise ValidationError(_("Only an open matter can be merged."))
        if into.pk == matter.pk or into.community_id != matter.community_id:
            raise ValidationError(_("Choose another matter of the same community."))
        if into.status == Matter.Status.MERGED:
            raise ValidationError(_("That matter was itself merged; choose the one it went into."))
        return _close(
            actor, matter, Matter.Status.MERGED, reason, "matter.merged", merged_into=into
        )


def extend_deadline(actor, matter: Matter, *, days: int, reason: str) -> Matter:
    """Push a stage deadline back; an extension needs a recorded reason (接诉即办)."""
    reason = clean_text(reason, _("reason"), limit=2000)
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationError(_("Extend by 1 to 60 days."))
    with transaction.atomic():
        matter = locked_matter(matter)
        acting = require_stage_action(actor, matter, P.EXTEND)
        base = timezone.localtime(matter.deadline or timezone.now())
        working = bool(matter.stage_spec.deadline and matter.stage_spec.deadline.working)
        old = matter.deadline
        matter.deadline = rules.add_days(base, days, working=working)
        matter.save(update_fields=["deadline"])
        record_transition(matter, actor, "extended", note=reason, acting=acting)
        notices.notify(stakeholder_ids(matter), "extended", matter=matter, exclude=actor)
        audit.record(
            actor,
            "matter.extended",
            matter,
            community=matter.community,
            data={"from": old.isoformat() if old else None, "days": days, "reason": reason},
        )
        publish(matter, "changed")
    return matter


def rate_response(actor, matter: Matter, *, score: int) -> Matter:
    """The requester rates the response to their concern (1–5), which closes it."""
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError(_("Give a score from 1 to 5."))
    with transaction.atomic():
        matter = locked_matter(matter)
        require_stage_action(actor, matter, P.RATE)
        if matter.proposer_id != actor.pk:
            raise PermissionDenied(_("Only the person who raised the concern may rate it."))
        matter.satisfaction = score
        matter.status = Matter.Status.DECIDED
        matter.closed_at = timezone.now()
        matter.deadline, matter.deadline_is_minimum = None, False
        matter.save()
        record_transition(matter, actor, "rated", note=str(score))
        audit.record(
            actor, "matter.rated", matter, community=matter.community, data={"score": score}
        )
        notices.notify(
            actor_ids(matter) | notices.people_of([matter.first_body]),
            "closed",
            matter=matter,
            data={"status": matter.status},
            exclude=actor,
        )
        publish(matter, "changed")
    return matter

"""The only way deliberation state changes: matters through their procedures, discussion, polls,
resolutions, escalations and reception ratings.

Each public function takes the acting user, checks that they may act (the stage's actors and
actions come from `procedures`), changes rows in one transaction, writes an audit event,
notifies stakeholders and publishes a domain event on commit. Refusals raise PermissionDenied;
bad input raises ValidationError with a message a person can act on.
"""

import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.events import publish_on_commit
from communities.models import Community, Organization
from deliberation import access, electorates, procedures, rules, sealing
from deliberation import notify as notices
from deliberation.models import (
    Ballot,
    Choice,
    Comment,
    CommentRevision,
    Electorate,
    Escalation,
    ImplementationUpdate,
    Matter,
    Poll,
    ReceptionRating,
    ReceptionSession,
    Resolution,
    SealedBallot,
    SecretBallot,
    Stance,
    Transition,
    VoterReceipt,
)
from deliberation.text import render_markdown

Kind = Organization.Kind
P = procedures
SPECIAL_ITEMS = {6, 7, 8}  # Art. 278 items decided by the 3/4 special majority


def _authenticated(actor):
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Please sign in first."))


def _require(actor, perm: str, obj, message: str):
    _authenticated(actor)
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(message)


def _require_stage_action(actor, matter, action: str) -> procedures.Actor:
    """The actor entry `actor` acts under, if the current stage allows `action` to them."""
    _authenticated(actor)
    if not matter.in_progress:
        raise ValidationError(_("This matter is closed."))
    stage = matter.stage_spec
    if action not in stage.actions:
        raise ValidationError(_("That cannot be done at this stage."))
    acting = access.acting_as(actor, matter, stage)
    if acting is None:
        raise PermissionDenied(
            _("Only %(who)s may do that at this stage.") % {"who": access.who_must_act(matter)}
        )
    return acting


def _locked(matter) -> Matter:
    """Re-read the matter under a row lock so two stage changes cannot interleave."""
    return (
        Matter.objects.select_for_update(of=("self",)).select_related("community").get(pk=matter.pk)
    )


def _text(value: str, what: str, *, limit: int = 20000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Please write the %(what)s.") % {"what": what})
    if len(value) > limit:
        raise ValidationError(
            _("The %(what)s is too long (at most %(n)d characters).") % {"what": what, "n": limit}
        )
    return value


def _clock(matter, stage: procedures.Stage, start):
    """(deadline, is_minimum) for a stage entered at `start`, from the community's settings."""
    if stage.deadline is None:
        return None, False
    key = stage.deadline.setting.format(concern_kind=matter.concern_kind or "enquiry")
    days = rules.setting(matter.community.settings, key)
    # Working days are the community's weekdays, so count them in local time, not UTC.
    local = timezone.localtime(start)
    deadline = rules.deadline_for(local, days, working=stage.deadline.working)
    return deadline, stage.deadline.minimum


def _stakeholder_ids(matter) -> set[int]:
    orgs = list(matter.stakeholders.all())
    if matter.on_behalf_of_id:
        orgs.append(matter.on_behalf_of)
    ids = notices.people_of(orgs)
    ids.add(matter.proposer_id)
    return ids


def _actor_ids(matter) -> set[int]:
    """People in the bodies that must act in the current stage."""
    if not matter.in_progress:
        return set()
    return notices.people_of(access.actor_organization(matter, a) for a in matter.stage_spec.actors)


def _publish(matter, kind: str, data: dict | None = None):
    publish_on_commit(
        f"matter.{kind}",
        community_id=matter.community_id,
        data={"matter": matter.reference, **(data or {})},
    )


def _transition(matter, actor, action, *, to_stage="", note="", acting=None):
    return Transition.objects.create(
        matter=matter,
        action=action,
        from_stage=matter.stage,
        to_stage=to_stage,
        actor=actor,
        as_organization=access.actor_organization(matter, acting) if acting else None,
        note=note,
    )


# ---------------------------------------------------------------------------------------------
# Matters


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
    _authenticated(actor)
    try:
        spec = procedures.get(procedure)
    except KeyError:
        raise ValidationError(_("Choose one of the procedures.")) from None
    if spec.needs_estate:
        if estate is None or estate.community_id != community.pk:
            raise ValidationError(_("Choose the estate whose owners decide this matter."))
        _require(
            actor,
            "communities.propose_matter",
            estate,
            _("Only the estate's owners and its committees may propose owners' decisions."),
        )
    else:
        estate = None
        _require(
            actor,
            "communities.propose_matter",
            community,
            _("Only verified residents and the community's bodies may propose matters."),
        )
    if on_behalf_of is not None:
        if on_behalf_of.community_id != community.pk:
            raise ValidationError(_("That organisation is not in this community."))
        _require(
            actor,
            "communities.speak_for_organization",
            on_behalf_of,
            _("You may only propose on behalf of an organisation you speak for."),
        )
    title = _text(title, _("title"), limit=120)
    body = _text(body, _("description"))
    render_markdown(body)  # fail early on anything the renderer refuses
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
        matter.deadline, matter.deadline_is_minimum = _clock(matter, first, now)
        matter.full_clean(exclude=["stakeholders"])
        matter.save()
        orgs = {o for o in stakeholders if o.community_id == community.pk}
        orgs |= {o for o in (on_behalf_of, first_body) if o is not None}
        if estate is not None:
            orgs |= set(estate.organizations.all())
        matter.stakeholders.set(orgs)
        _transition(matter, actor, "proposed", to_stage=first.code)
        audit.record(
            actor,
            "matter.proposed",
            matter,
            community=community,
            data={"procedure": procedure, "stage": first.code},
        )
        notices.notify(
            _stakeholder_ids(matter) | _actor_ids(matter), "proposed", matter=matter, exclude=actor
        )
        _publish(matter, "proposed")
    return matter


def _guard_failures(matter, stage: procedures.Stage, note: str, now) -> list[str]:
    failures = []
    if P.POLL_PASSED in stage.requires:
        polls = matter.polls.all()
        if polls.filter(status=Poll.Status.OPEN).exists():
            failures.append(_("Close the open poll first."))
        elif not any(
            (p.result or {}).get("passed")
            for p in polls.filter(status=Poll.Status.CLOSED, closed_at__gte=matter.stage_started_at)
        ):
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
        matter = _locked(matter)
        acting = _require_stage_action(actor, matter, P.ADVANCE)
        stage = matter.stage_spec
        now = timezone.now()
        failures = _guard_failures(matter, stage, note, now)
        if failures:
            raise ValidationError(failures)
        if len(note) > 10000:
            raise ValidationError(_("The note is too long (at most 10000 characters)."))
        following = matter.procedure_spec.next_stage(matter.stage)
        if following is None:
            _transition(matter, actor, "completed", note=note, acting=acting)
            if matter.status == Matter.Status.OPEN:
                matter.status = Matter.Status.DECIDED
            matter.closed_at = now
            matter.deadline, matter.deadline_is_minimum = None, False
            matter.save()
            verb, kind, data = "matter.completed", "closed", {"status": matter.status}
        else:
            _transition(
                matter, actor, "advanced", to_stage=following.code, note=note, acting=acting
            )
            matter.stage = following.code
            matter.stage_started_at = now
            matter.deadline, matter.deadline_is_minimum = _clock(matter, following, now)
            matter.save()
            verb, kind, data = "matter.advanced", "stage", {"stage": following.code}
            if matter.procedure == P.OWNERS_JOINT_DECISION.code and following.code == "notice":
                # The residents' committee is informed of every owners' meeting notice.
                rc = access.body_of_kind(matter.community, Kind.RESIDENTS_COMMITTEE)
                matter.stakeholders.add(*[o for o in [rc] if o is not None])
        audit.record(
            actor, verb, matter, community=matter.community, data={**data, "from": stage.code}
        )
        notices.notify(
            _stakeholder_ids(matter) | _actor_ids(matter),
            kind,
            matter=matter,
            data=data,
            exclude=actor,
        )
        _publish(matter, "changed", data)
    return matter


def _close(actor, matter, status: str, reason: str, verb: str, *, merged_into=None, acting=None):
    now = timezone.now()
    _transition(matter, actor, status, note=reason, acting=acting)
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
    notices.notify(_stakeholder_ids(matter), "closed", matter=matter, data=data, exclude=actor)
    _publish(matter, "changed", data)
    return matter


def reject(actor, matter: Matter, *, reason: str) -> Matter:
    """End the matter as rejected by the body acting at this stage, with a reason."""
    reason = _text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = _locked(matter)
        acting = _require_stage_action(actor, matter, P.REJECT)
        return _close(
            actor, matter, Matter.Status.REJECTED, reason, "matter.rejected", acting=acting
        )


def withdraw(actor, matter: Matter, *, reason: str) -> Matter:
    """The proposer (or a moderator) withdraws an open matter; it stays on the ledger."""
    reason = _text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = _locked(matter)
        _authenticated(actor)
        if matter.status != Matter.Status.OPEN:
            raise ValidationError(_("Only an open matter can be withdrawn."))
        if matter.proposer_id != actor.pk and not access.may_moderate(actor, matter.community):
            raise PermissionDenied(_("Only the proposer or a moderator may withdraw a matter."))
        return _close(actor, matter, Matter.Status.WITHDRAWN, reason, "matter.withdrawn")


def merge(actor, matter: Matter, into: Matter, *, reason: str) -> Matter:
    """Fold a duplicate into another matter of the same community, keeping a link."""
    reason = _text(reason, _("reason"), limit=2000)
    with transaction.atomic():
        matter = _locked(matter)
        _require(
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
    reason = _text(reason, _("reason"), limit=2000)
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationError(_("Extend by 1 to 60 days."))
    with transaction.atomic():
        matter = _locked(matter)
        acting = _require_stage_action(actor, matter, P.EXTEND)
        base = timezone.localtime(matter.deadline or timezone.now())
        working = bool(matter.stage_spec.deadline and matter.stage_spec.deadline.working)
        old = matter.deadline
        matter.deadline = rules.add_days(base, days, working=working)
        matter.save(update_fields=["deadline"])
        _transition(matter, actor, "extended", note=reason, acting=acting)
        notices.notify(_stakeholder_ids(matter), "extended", matter=matter, exclude=actor)
        audit.record(
            actor,
            "matter.extended",
            matter,
            community=matter.community,
            data={"from": old.isoformat() if old else None, "days": days, "reason": reason},
        )
        _publish(matter, "changed")
    return matter


def rate_response(actor, matter: Matter, *, score: int) -> Matter:
    """The requester rates the response to their concern (1–5), which closes it."""
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError(_("Give a score from 1 to 5."))
    with transaction.atomic():
        matter = _locked(matter)
        _require_stage_action(actor, matter, P.RATE)
        if matter.proposer_id != actor.pk:
            raise PermissionDenied(_("Only the person who raised the concern may rate it."))
        matter.satisfaction = score
        matter.status = Matter.Status.DECIDED
        matter.closed_at = timezone.now()
        matter.deadline, matter.deadline_is_minimum = None, False
        matter.save()
        _transition(matter, actor, "rated", note=str(score))
        audit.record(
            actor, "matter.rated", matter, community=matter.community, data={"score": score}
        )
        notices.notify(
            _actor_ids(matter) | notices.people_of([matter.first_body]),
            "closed",
            matter=matter,
            data={"status": matter.status},
            exclude=actor,
        )
        _publish(matter, "changed")
    return matter


# ---------------------------------------------------------------------------------------------
# Discussion


def _speaking_as(actor, matter, organization):
    if organization is None:
        return None
    if organization.community_id != matter.community_id:
        raise ValidationError(_("That organisation is not in this community."))
    _require(
        actor,
        "communities.speak_for_organization",
        organization,
        _("You may only speak for an organisation you hold a position in."),
    )
    return organization


def post_comment(
    actor, matter: Matter, *, body: str, parent=None, as_organization=None, objection: bool = False
) -> Comment:
    """Add a comment (or reply); during public notice it may be flagged as an objection."""
    _require(
        actor,
        "communities.comment",
        matter.community,
        _("Only verified residents and the community's bodies may comment."),
    )
    matter = Matter.objects.select_related("community").get(pk=matter.pk)  # the current stage
    if not matter.in_progress:
        raise ValidationError(_("This matter is closed for comments."))
    body = _text(body, _("comment"), limit=5000)
    if parent is not None and parent.matter_id != matter.pk:
        raise ValidationError(_("You can only reply to a comment on the same matter."))
    as_organization = _speaking_as(actor, matter, as_organization)
    answer_due = None
    if objection:
        if not matter.stage_spec.public_notice:
            raise ValidationError(_("Objections can be raised only during public notice (公示)."))
        days = rules.setting(matter.community.settings, "objection.answer_days")
        answer_due = rules.add_days(timezone.now(), days)
    with transaction.atomic():
        comment = Comment.objects.create(
            matter=matter,
            parent=parent,
            author=actor,
            as_organization=as_organization,
            body=body,
            body_html=render_markdown(body),
            is_objection=bool(objection),
            answer_due=answer_due,
        )
        audit.record(
            actor,
            "comment.objection" if objection else "comment.posted",
            comment,
            community=matter.community,
            data={
                "matter": matter.reference,
                "as": as_organization.pk if as_organization else None,
            },
        )
        recipients = {matter.proposer_id}
        if objection:
            recipients |= _actor_ids(matter)
        notices.notify(
            recipients, "objection" if objection else "comment", matter=matter, exclude=actor
        )
        if parent is not None:
            notices.notify({parent.author_id}, "reply", matter=matter, exclude=actor)
        _publish(matter, "comment", {"comment": comment.pk})
    return comment


def edit_comment(actor, comment: Comment, *, body: str) -> Comment:
    """The author rewrites their comment; the previous text is kept as a revision."""
    _authenticated(actor)
    if comment.author_id != actor.pk:
        raise PermissionDenied(_("Only the author may edit a comment."))
    if comment.is_hidden:
        raise ValidationError(_("A hidden comment cannot be edited."))
    body = _text(body, _("comment"), limit=5000)
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if body == comment.body:
            return comment
        CommentRevision.objects.create(comment=comment, body=comment.body, edited_by=actor)
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "body_html", "edited_at"])
        audit.record(actor, "comment.edited", comment, community=comment.matter.community)
    return comment


def hide_comment(actor, comment: Comment, *, reason: str) -> Comment:
    """A moderator hides a comment with a reason; it stays stored and visible to moderators."""
    reason = _text(reason, _("reason"), limit=300)
    community = comment.matter.community
    _require(actor, "communities.moderate", community, _("Only moderators may hide comments."))
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.is_hidden:
            raise ValidationError(_("This comment is already hidden."))
        comment.hidden_at = timezone.now()
        comment.hidden_by = actor
        comment.hidden_reason = reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit.record(actor, "comment.hidden", comment, community=community, data={"reason": reason})
    return comment


def answer_objection(actor, objection: Comment, *, body: str) -> Comment:
    """The responsible body answers an objection raised during public notice."""
    matter = objection.matter
    if not objection.is_objection:
        raise ValidationError(_("That comment is not an objection."))
    if objection.answered_by_id:
        raise ValidationError(_("This objection has already been answered."))
    acting = _require_stage_action(actor, matter, P.ANSWER_OBJECTION)
    body = _text(body, _("answer"), limit=5000)
    with transaction.atomic():
        objection = Comment.objects.select_for_update().get(pk=objection.pk)
        if objection.answered_by_id:
            raise ValidationError(_("This objection has already been answered."))
        late = objection.objection_overdue()  # before it is marked answered, which ends that
        answer = Comment.objects.create(
            matter=matter,
            parent=objection,
            author=actor,
            as_organization=access.actor_organization(matter, acting),
            body=body,
            body_html=render_markdown(body),
        )
        objection.answered_by = answer
        objection.save(update_fields=["answered_by"])
        audit.record(
            actor,
            "comment.objection_answered",
            objection,
            community=matter.community,
            data={"answer": answer.pk, "late": late},
        )
        notices.notify({objection.author_id}, "objection_answered", matter=matter, exclude=actor)
        _publish(matter, "comment", {"comment": answer.pk})
    return answer


def state_stance(
    actor, matter: Matter, organization: Organization, *, position: str, statement: str
) -> Stance:
    """Record an organisation's formal position; earlier stances stay as its history."""
    _require(
        actor,
        "communities.speak_for_organization",
        organization,
        _("Only someone who speaks for the organisation may state its position."),
    )
    if organization.community_id != matter.community_id:
        raise ValidationError(_("That organisation is not in this community."))
    matter = Matter.objects.select_related("community").get(pk=matter.pk)  # current status
    if not matter.stakeholders.filter(pk=organization.pk).exists():
        raise ValidationError(_("Only the matter's stakeholder organisations state positions."))
    if not matter.in_progress:
        raise ValidationError(_("This matter is closed."))
    if position not in Stance.Position.values:
        raise ValidationError(_("Choose a position."))
    statement = _text(statement, _("statement"), limit=5000)
    with transaction.atomic():
        stance = Stance.objects.create(
            matter=matter,
            organization=organization,
            position=position,
            statement=statement,
            author=actor,
        )
        audit.record(
            actor,
            "stance.stated",
            stance,
            community=matter.community,
            data={
                "matter": matter.reference,
                "organization": organization.pk,
                "position": position,
            },
        )
        notices.notify(
            _stakeholder_ids(matter),
            "stance",
            matter=matter,
            data={"org": organization.name},
            exclude=actor,
        )
        _publish(matter, "stance", {"organization": organization.pk})
    return stance


# ---------------------------------------------------------------------------------------------
# Polls


def _poll_params(community, defaults: procedures.PollDefaults) -> dict:
    overrides = community.settings
    if defaults.params == "council":
        return rules.council_params(overrides)
    if defaults.params == "party_review":
        return rules.party_review_params(overrides)
    if defaults.params == "residents_meeting":
        return rules.residents_meeting_params(overrides)
    return {}


def create_poll(
    actor,
    matter: Matter,
    *,
    question: str,
    kind: str,
    choices=(),
    electorate: str = "",
    max_choices: int = 1,
    secret: bool = False,
    results_hidden: bool = False,
    allow_change: bool = False,
    closes_at=None,
    law_item: int | None = None,
) -> Poll:
    """Put a question to the stage's electorate under the stage's rule (opened now or later)."""
    with transaction.atomic():
        matter = _locked(matter)
        _require_stage_action(actor, matter, P.CREATE_POLL)
        defaults = matter.stage_spec.poll
        question = _text(question, _("question"), limit=200)
        electorate = electorate or defaults.electorates[0]
        if electorate not in defaults.electorates:
            raise ValidationError(_("This stage's vote is not open to that electorate."))
        if kind not in Poll.Kind.values:
            raise ValidationError(_("Choose the kind of poll."))
        if secret and allow_change:
            raise ValidationError(
                _("A secret ballot cannot be changed: nothing links it to its voter.")
            )
        options, max_choices = poll_options(kind, choices, max_choices)
        rule = defaults.rule
        estate = body = None
        if electorate == Electorate.OWNERS:
            if law_item not in range(1, 10):
                raise ValidationError(_("Choose which Art. 278 item this vote decides (1–9)."))
            rule = (
                rules.Rule.OWNERS_SPECIAL
                if law_item in SPECIAL_ITEMS
                else rules.Rule.OWNERS_ORDINARY
            )
            estate = matter.estate
        else:
            law_item = None
        if electorate == Electorate.BODY:
            body = access.body_of_kind(matter.community, defaults.body)
            if body is None:
                raise ValidationError(_("This community has no such body to vote."))
        now = timezone.now()
        if closes_at is not None and closes_at <= now:
            raise ValidationError(_("The closing time must be in the future."))
        poll = Poll.objects.create(
            community=matter.community,
            matter=matter,
            stage=matter.stage,
            question=question,
            kind=kind,
            max_choices=max_choices,
            electorate=electorate,
            estate=estate,
            body=body,
            rule=rule,
            params=_poll_params(matter.community, defaults),
            law_item=law_item,
            secret=bool(secret),
            results_hidden=bool(results_hidden),
            allow_change=bool(allow_change),
            created_by=actor,
            closes_at=closes_at,
        )
        Choice.objects.bulk_create(
            [
                Choice(poll=poll, code=code, label=label, position=i)
                for i, (code, label) in enumerate(options)
            ]
        )
        audit.record(
            actor,
            "poll.created",
            poll,
            community=matter.community,
            data={"matter": matter.reference, "rule": rule, "electorate": electorate},
        )
        if defaults.open_at_once:
            _open(actor, poll, now)
    return poll


def poll_options(kind: str, choices=(), max_choices: int = 1) -> tuple[list, int]:
    """The (code, label) choices of a poll of this kind, and how many one ballot may pick."""
    if kind not in Poll.Kind.values:
        raise ValidationError(_("Choose the kind of poll."))
    if kind == Poll.Kind.YES_NO_ABSTAIN:
        return [(rules.YES, "yes"), (rules.NO, "no"), (rules.ABSTAIN, "abstain")], 1
    labels = [c.strip() for c in choices if c and c.strip()]
    if not 2 <= len(labels) <= 20 or len(set(labels)) != len(labels):
        raise ValidationError(_("Give between 2 and 20 different choices."))
    if any(len(label) > 120 for label in labels):
        raise ValidationError(_("Each choice may have at most 120 characters."))
    options = [(f"c{i}", label) for i, label in enumerate(labels, 1)]
    if kind == Poll.Kind.SINGLE:
        return options, 1
    if not 1 <= int(max_choices) <= len(labels):
        raise ValidationError(_("Allow between 1 and all of the choices."))
    return options, int(max_choices)


def _open(actor, poll: Poll, now):
    base = electorates.base(poll)
    poll.status = Poll.Status.OPEN
    poll.opened_at = now
    poll.electorate_heads = base.heads
    poll.electorate_area = base.area
    poll.save(update_fields=["status", "opened_at", "electorate_heads", "electorate_area"])
    audit.record(
        actor,
        "poll.opened",
        poll,
        community=poll.community,
        data={"heads": base.heads, "area": str(base.area)},
    )
    if poll.matter is not None:
        notices.notify(
            _stakeholder_ids(poll.matter),
            "poll_opened",
            matter=poll.matter,
            data={"question": poll.question},
            exclude=actor,
        )
        _publish(poll.matter, "poll", {"poll": poll.pk, "status": "open"})


def open_poll(actor, poll: Poll) -> Poll:
    """Open an agenda item's poll that was frozen into the notice (owners' decisions)."""
    with transaction.atomic():
        matter = _locked(poll.matter)
        _require_stage_action(actor, matter, P.OPEN_POLL)
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.status != Poll.Status.DRAFT:
            raise ValidationError(_("This poll is not waiting to open."))
        _open(actor, poll, timezone.now())
    return poll


def tally(poll: Poll) -> dict:
    """The rule's verdict on the poll's ballots as they stand (the frozen result once closed)."""
    codes = list(poll.choices.values_list("code", flat=True))
    if poll.secret:
        contents = [
            {"choices": sb.choices, "weight": sb.weight} for sb in poll.secret_ballots.all()
        ]
        contents += [sealing.unseal(poll.pk, sb.sealed) for sb in poll.sealed_ballots.all()]
        votes = [
            rules.Vote(
                head=f"secret:{i}", choices=frozenset(c["choices"]), area=Decimal(c["weight"])
            )
            for i, c in enumerate(contents)
        ]
    else:
        votes = rules.group_unit_ballots(
            (b.head, b.weight, frozenset(b.choices)) for b in poll.ballots.all()
        )
    heads = poll.electorate_heads
    area = poll.electorate_area
    if heads is None:
        base = electorates.base(poll)
        heads, area = base.heads, base.area
    electorate = rules.Electorate(heads, Decimal(area or 0))
    return rules.evaluate(poll.rule, poll.kind, codes, votes, electorate, poll.params or None)


def _mix(poll: Poll) -> None:
    """Unseal a closing poll's secret ballots and store them shuffled, in one transaction."""
    contents = [sealing.unseal(poll.pk, sb.sealed) for sb in poll.sealed_ballots.all()]
    secrets.SystemRandom().shuffle(contents)
    SecretBallot.objects.bulk_create(
        [
            SecretBallot(poll=poll, choices=c["choices"], weight=Decimal(c["weight"]))
            for c in contents
        ]
    )
    SealedBallot.objects.filter(poll=poll).delete()


def close_poll(actor, poll: Poll, *, system: bool = False) -> Poll:
    """Close the poll and freeze its result; no ballot is accepted afterwards."""
    with transaction.atomic():
        # Lock the poll row only: PostgreSQL refuses FOR UPDATE on the outer join to a
        # nullable matter.
        poll = Poll.objects.select_for_update(of=("self",)).select_related("matter").get(pk=poll.pk)
        if not system:
            _require_stage_action(actor, poll.matter, P.CLOSE_POLL)
        if poll.status != Poll.Status.OPEN:
            raise ValidationError(_("This poll is not open."))
        if poll.secret:
            _mix(poll)
        poll.result = tally(poll)
        poll.status = Poll.Status.CLOSED
        poll.closed_at = timezone.now()
        poll.save(update_fields=["result", "status", "closed_at"])
        audit.record(
            actor,
            "poll.closed",
            poll,
            community=poll.community,
            data={"passed": poll.result["passed"], "quorum": poll.result["quorum_met"]},
        )
        if poll.matter is not None:
            notices.notify(
                _stakeholder_ids(poll.matter),
                "poll_closed",
                matter=poll.matter,
                data={"question": poll.question},
                exclude=actor,
            )
            _publish(poll.matter, "poll", {"poll": poll.pk, "status": "closed"})
    return poll


def close_due_polls(now=None) -> list[Poll]:
    """Close every open poll whose closing time has passed (run by `manage.py close_due_polls`)."""
    now = now or timezone.now()
    closed = []
    for poll in Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now):
        try:
            closed.append(close_poll(None, poll, system=True))
        except ValidationError:
            continue  # closed by someone else meanwhile
    return closed


def cast_ballot(actor, poll: Poll, choices, *, organization=None) -> dict:
    """Record a ballot; named ballots may be changed only where the poll allows it.

    Returns {"status": "cast" | "changed" | "unchanged", "slots": n}. A retry of the same named
    ballot is "unchanged", so clients can resend safely. Refusals raise PermissionDenied or
    ValidationError.
    """
    _authenticated(actor)
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
    live room's burst of thousands (group commit; realtime/hub.py gathers them).

    `entries` are (actor, choices, organization) triples. Returns, in the same order, either the
    outcome dict of `cast_ballot` or the PermissionDenied/ValidationError that refuses that
    ballot; one refusal never affects the others. Entries for the same slot are applied in order,
    so a retried ballot in the same batch is "unchanged".
    """
    results: list = [None] * len(entries)
    with transaction.atomic():
        # The poll row lock orders every cast against the close: none can slip in after it.
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        now = timezone.now()
        if poll.status != Poll.Status.OPEN or (poll.closes_at and now >= poll.closes_at):
            closed = ValidationError(_("This poll is not open for voting."))
            return [closed] * len(entries)
        codes = set(poll.choices.values_list("code", flat=True))
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
                # Sealed until close: see deliberation/sealing.py for why not a plain row now.
                sealed.append(
                    SealedBallot(
                        poll=poll,
                        sealed=sealing.seal(poll.pk, {"choices": picked, "weight": str(weight)}),
                    )
                )
                status = "cast"
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
        SealedBallot.objects.bulk_create(sealed, batch_size=500)
        audit.record_many(audits)
        if audits and poll.matter is not None:
            _publish(poll.matter, "ballot", {"poll": poll.pk})
        if audits and poll.agenda_item_id is not None:
            from deliberation import meetings  # meetings builds on this module

            meetings.tally_changed(poll)
    return results


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


# ---------------------------------------------------------------------------------------------
# Resolutions


def publish_resolution(actor, matter: Matter, *, text: str) -> Resolution:
    """Publish the numbered resolution of a matter (决议公开), linked to its deciding poll."""
    text = _text(text, _("resolution text"))
    with transaction.atomic():
        matter = _locked(matter)
        acting = _require_stage_action(actor, matter, P.PUBLISH_RESOLUTION)
        if Resolution.objects.filter(matter=matter).exists():
            raise ValidationError(_("This matter already has its resolution."))
        issuing = access.actor_organization(matter, acting) or access.body_of_kind(
            matter.community, Kind.RESIDENTS_COMMITTEE
        )
        if issuing is None:
            raise ValidationError(_("No body is set up to issue this resolution."))
        poll = matter.polls.filter(status=Poll.Status.CLOSED).order_by("-closed_at", "-pk").first()
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
        _transition(matter, actor, "resolution", note=resolution.reference, acting=acting)
        audit.record(
            actor,
            "resolution.published",
            resolution,
            community=matter.community,
            data={"matter": matter.reference, "poll": poll.pk if poll else None},
        )
        notices.notify(
            _stakeholder_ids(matter),
            "resolution",
            matter=matter,
            data={"number": resolution.reference},
            exclude=actor,
        )
        _publish(matter, "resolution", {"resolution": resolution.reference})
    return resolution


def post_update(actor, matter: Matter, *, text: str, status: str) -> ImplementationUpdate:
    """Publish progress on carrying out the resolution (实施结果公开)."""
    text = _text(text, _("update"), limit=10000)
    if status not in (Resolution.Status.IN_PROGRESS, Resolution.Status.COMPLETED):
        raise ValidationError(_("Say whether the work is in progress or completed."))
    with transaction.atomic():
        matter = _locked(matter)
        _require_stage_action(actor, matter, P.POST_UPDATE)
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
            matter.deadline, _minimum = _clock(matter, stage, now)  # next report due
            matter.save(update_fields=["deadline"])
        audit.record(
            actor,
            "resolution.updated",
            resolution,
            community=matter.community,
            data={"status": status, "update": update.pk},
        )
        notices.notify(_stakeholder_ids(matter), "update", matter=matter, exclude=actor)
        _publish(matter, "update", {"status": status})
    return update


# ---------------------------------------------------------------------------------------------
# Escalation


def escalate(actor, matter: Matter, *, reason: str, grace_days: int = 0) -> Escalation:
    """Send a matter up one level (community → street → district) with a reason and deadline."""
    _require(
        actor,
        "communities.escalate",
        matter.community,
        _("Only the residents' committee, the workstation and the street may escalate."),
    )
    reason = _text(reason, _("reason"), limit=5000)
    if not isinstance(grace_days, int) or not 0 <= grace_days <= 60:
        raise ValidationError(_("The grace period is 0 to 60 days."))
    with transaction.atomic():
        matter = _locked(matter)
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
            notices.people_of([to]) | _stakeholder_ids(matter),
            "escalated",
            matter=matter,
            data={"to": to.name},
            exclude=actor,
        )
        _publish(matter, "escalated", {"level": level})
    return escalation


def answer_escalation(actor, escalation: Escalation, *, response: str) -> Escalation:
    """The receiving level answers an escalated matter."""
    _require(
        actor,
        "communities.answer_escalation",
        escalation.to_organization,
        _("Only officers of the receiving body may answer this escalation."),
    )
    response = _text(response, _("response"), limit=10000)
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
            _stakeholder_ids(matter) | {escalation.raised_by_id},
            "escalation_answered",
            matter=matter,
            exclude=actor,
        )
        _publish(matter, "escalation", {"answered": escalation.pk})
    return escalation


# ---------------------------------------------------------------------------------------------
# Reception sessions (接访)


def hold_reception(actor, community, *, held_on, place: str, hosts: str, topic: str = ""):
    """Record a reception session so residents can rate it."""
    _require(
        actor,
        "communities.host_reception",
        community,
        _("Only community officials may record reception sessions."),
    )
    place = _text(place, _("place"), limit=120)
    hosts = _text(hosts, _("hosts"), limit=300)
    if held_on is None or held_on > timezone.localdate():
        raise ValidationError(_("Give the date the session was held (not in the future)."))
    with transaction.atomic():
        session = ReceptionSession.objects.create(
            community=community,
            held_on=held_on,
            place=place,
            hosts=hosts,
            topic=(topic or "").strip()[:200],
            created_by=actor,
        )
        audit.record(actor, "reception.held", session, community=community)
    return session


def rate_reception(actor, session, *, score: int, comment: str = "") -> ReceptionRating:
    """A verified resident rates a reception session, once."""
    _require(
        actor,
        "communities.vote",
        session.community,
        _("Only verified residents may rate reception sessions."),
    )
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError(_("Give a score from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError(_("The comment is too long (at most 500 characters)."))
    try:
        with transaction.atomic():
            rating = ReceptionRating.objects.create(
                session=session, resident=actor, score=score, comment=comment
            )
            audit.record(
                actor,
                "reception.rated",
                session,
                community=session.community,
                data={"score": score},
            )
    except IntegrityError:
        raise ValidationError(_("You have already rated this session.")) from None
    return rating


def mark_notifications_read(actor, ids=None) -> int:
    """Mark the actor's notifications (all, or these) as read."""
    _authenticated(actor)
    qs = actor.notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def remind_overdue(now=None) -> int:
    """Notify the bodies that must act on each overdue matter, at most once a day per matter."""
    from deliberation.models import Notification

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
            recipients = _actor_ids(matter) | _stakeholder_ids(matter)
            recipients |= notices.people_of(
                e.to_organization for e in matter.escalations.filter(answered_at__isnull=True)
            )
            notices.notify(recipients, "overdue", matter=matter)
        reminded += 1
    return reminded

"""Discussion: comments and replies (objections during public notice), their edits and
moderation, answers to objections, and organisations' formal positions."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import Organization
from deliberation import access, procedures, rules
from deliberation import notify as notices
from deliberation.models import Comment, CommentRevision, Matter, Stance
from deliberation.services.common import (
    actor_ids,
    clean_text,
    publish,
    require,
    require_signed_in,
    require_stage_action,
    stakeholder_ids,
)
from deliberation.text import render_markdown

P = procedures


def _speaking_as(actor, matter, organization):
    if organization is None:
        return None
    if organization.community_id != matter.community_id:
        raise ValidationError(_("That organisation is not in this community."))
    require(
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
    require(
        actor,
        "communities.comment",
        matter.community,
        _("Only verified residents and the community's bodies may comment."),
    )
    matter = Matter.objects.select_related("community").get(pk=matter.pk)  # the current stage
    if not matter.in_progress:
        raise ValidationError(_("This matter is closed for comments."))
    body = clean_text(body, _("comment"), limit=5000)
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
            recipients |= actor_ids(matter)
        notices.notify(
            recipients, "objection" if objection else "comment", matter=matter, exclude=actor
        )
        if parent is not None:
            notices.notify({parent.author_id}, "reply", matter=matter, exclude=actor)
        publish(matter, "comment", {"comment": comment.pk})
    return comment


def edit_comment(actor, comment: Comment, *, body: str) -> Comment:
    """The author rewrites their comment; the previous text is kept as a revision."""
    require_signed_in(actor)
    if comment.author_id != actor.pk:
        raise PermissionDenied(_("Only the author may edit a comment."))
    if comment.is_hidden:
        raise ValidationError(_("A hidden comment cannot be edited."))
    body = clean_text(body, _("comment"), limit=5000)
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
    reason = clean_text(reason, _("reason"), limit=300)
    community = comment.matter.community
    require(actor, "communities.moderate", community, _("Only moderators may hide comments."))
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
    acting = require_stage_action(actor, matter, P.ANSWER_OBJECTION)
    body = clean_text(body, _("answer"), limit=5000)
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
        publish(matter, "comment", {"comment": answer.pk})
    return answer


def state_stance(
    actor, matter: Matter, organization: Organization, *, position: str, statement: str
) -> Stance:
    """Record an organisation's formal position; earlier stances stay as its history."""
    require(
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
    statement = clean_text(statement, _("statement"), limit=5000)
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
            stakeholder_ids(matter),
            "stance",
            matter=matter,
            data={"org": organization.name},
            exclude=actor,
        )
        publish(matter, "stance", {"organization": organization.pk})
    return stance

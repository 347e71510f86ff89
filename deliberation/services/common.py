"""What every deliberation service shares: the sign-in and permission checks, the stage's
actor check, the matter's row lock, text limits, stage deadlines, who hears of a change, and
the domain event published on commit."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.events import publish_on_commit
from deliberation import access, procedures, rules
from deliberation import notify as notices
from deliberation.models import Matter, Transition


def require_signed_in(actor):
    """Refuse anyone not signed in, or deactivated."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Please sign in first."))


def require(actor, perm: str, obj, message: str):
    """Refuse, with `message`, anyone who does not hold `perm` on `obj`."""
    require_signed_in(actor)
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(message)


def require_stage_action(actor, matter, action: str) -> procedures.Actor:
    """The actor entry `actor` acts under, if the current stage allows `action` to them."""
    require_signed_in(actor)
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


def locked_matter(matter) -> Matter:
    """Re-read the matter under a row lock so two stage changes cannot interleave."""
    return (
        Matter.objects.select_for_update(of=("self",)).select_related("community").get(pk=matter.pk)
    )


def clean_text(value: str, what: str, *, limit: int = 20000) -> str:
    """`value` stripped, or a ValidationError naming `what` if it is empty or too long."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Please write the %(what)s.") % {"what": what})
    if len(value) > limit:
        raise ValidationError(
            _("The %(what)s is too long (at most %(n)d characters).") % {"what": what, "n": limit}
        )
    return value


def stage_clock(matter, stage: procedures.Stage, start):
    """(deadline, is_minimum) for a stage entered at `start`, from the community's settings."""
    if stage.deadline is None:
        return None, False
    key = stage.deadline.setting.format(concern_kind=matter.concern_kind or "enquiry")
    days = rules.setting(matter.community.settings, key)
    # Working days are the community's weekdays, so count them in local time, not UTC.
    local = timezone.localtime(start)
    deadline = rules.deadline_for(local, days, working=stage.deadline.working)
    return deadline, stage.deadline.minimum


def stakeholder_ids(matter) -> set[int]:
    """People in the matter's stakeholder bodies (and the body it speaks for), and its proposer."""
    orgs = list(matter.stakeholders.all())
    if matter.on_behalf_of_id:
        orgs.append(matter.on_behalf_of)
    ids = notices.people_of(orgs)
    ids.add(matter.proposer_id)
    return ids


def actor_ids(matter) -> set[int]:
    """People in the bodies that must act in the current stage."""
    if not matter.in_progress:
        return set()
    return notices.people_of(access.actor_organization(matter, a) for a in matter.stage_spec.actors)


def publish(matter, kind: str, data: dict | None = None):
    """Publish `matter.<kind>` once the transaction commits."""
    publish_on_commit(
        f"matter.{kind}",
        community_id=matter.community_id,
        data={"matter": matter.reference, **(data or {})},
    )


def record_transition(matter, actor, action, *, to_stage="", note="", acting=None):
    """Add a line to the matter's timeline: who did what, for which body, with what note."""
    return Transition.objects.create(
        matter=matter,
        action=action,
        from_stage=matter.stage,
        to_stage=to_stage,
        actor=actor,
        as_organization=access.actor_organization(matter, acting) if acting else None,
        note=note,
    )

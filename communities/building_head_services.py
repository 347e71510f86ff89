"""The only ways building heads (楼长, `communities.building_heads`) change: appointed by the
residents' committee's leads, ended by them or by the head stepping down; each audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.models import BuildingHead, Organization, Unit


def may_appoint_building_heads(actor, community) -> bool:
    """The residents' committee's leads (who appoint its people) appoint building heads."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    committee = Organization.objects.filter(
        community=community, kind=Organization.Kind.RESIDENTS_COMMITTEE
    ).first()
    return committee is not None and actor.has_perm("communities.manage_organization", committee)


def appoint_building_head(actor, estate, building: str, user) -> BuildingHead:
    """Appoint `user` head of `building` in `estate`, on the residents' committee's authority."""
    if not may_appoint_building_heads(actor, estate.community):
        raise PermissionDenied(_("Only the residents' committee's leads appoint building heads."))
    building = (building or "").strip()
    if not Unit.objects.filter(estate=estate, building=building).exists():
        raise ValidationError(_("This estate has no building with that number."))
    if user is None or not user.is_active:
        raise ValidationError(_("There is no active account with that user name."))
    with transaction.atomic():
        if BuildingHead.objects.current().filter(estate=estate, building=building, user=user):
            raise ValidationError(_("%(name)s already heads this building.") % {"name": user})
        head = BuildingHead.objects.create(
            estate=estate, building=building, user=user, appointed_by=actor
        )
        audit.record(
            actor, "building_head.appointed", head, community=estate.community,
            data={"user": user.pk, "estate": estate.pk, "building": building},
        )  # fmt: skip
    return head


def end_building_head(actor, head: BuildingHead) -> BuildingHead:
    """End an appointment (by the residents' committee's leads, or the head stepping down)."""
    community = head.estate.community
    if actor is None or actor.pk != head.user_id:
        if not may_appoint_building_heads(actor, community):
            raise PermissionDenied(_("Only the residents' committee's leads end appointments."))
    with transaction.atomic():
        locked = BuildingHead.objects.select_for_update().get(pk=head.pk)
        if locked.ended_at is not None:
            raise ValidationError(_("This appointment has already ended."))
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        audit.record(
            actor, "building_head.ended", locked, community=community,
            data={"user": locked.user_id, "estate": locked.estate_id, "building": locked.building},
        )  # fmt: skip
    return locked

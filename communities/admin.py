"""Django admin for staff. Every change goes through a service; nothing is deleted here.

Object permissions are managed by the role policy (communities/roles.py). Guardian's object
permission pages are available for inspection; editing them needs guardian's own permissions
(superusers), and every edit is audited. A user's policy-managed permissions are recomputed from
their roles at their next role change, so durable extra rights belong to a group.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from guardian.admin import ReinforcedGuardedModelAdmin
from guardian.shortcuts import get_group_perms, get_user_perms

from communities import audit, building_head_services, services
from communities.models import (
    AuditEvent,
    BuildingHead,
    Community,
    Estate,
    Membership,
    Organization,
    Ownership,
    PartyMember,
    Position,
    Unit,
    User,
)


def _report(request, error):
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)


class NoDeleteMixin:
    """Matters, records and their history are closed or ended, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


class StructureAdmin(NoDeleteMixin, ReinforcedGuardedModelAdmin):
    """Communities, estates and organisations: saved through services.save_structure."""

    def save_model(self, request, obj, form, change):
        services.save_structure(request.user, obj, changed=list(form.changed_data))

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        holder = User.objects.filter(pk=user_id).first()
        return self._audited(
            request, object_pk, holder, get_user_perms, {"user": user_id},
            lambda: super(StructureAdmin, self).obj_perms_manage_user_view(
                request, object_pk, user_id
            ),
        )  # fmt: skip

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        holder = Group.objects.filter(pk=group_id).first()
        return self._audited(
            request, object_pk, holder, get_group_perms, {"group": group_id},
            lambda: super(StructureAdmin, self).obj_perms_manage_group_view(
                request, object_pk, group_id
            ),
        )  # fmt: skip

    def _audited(self, request, object_pk, holder, perms_of, who, view):
        """Run guardian's permission view, and audit what a POST changed."""
        obj = self.get_object(request, object_pk)
        if obj is None or holder is None or request.method != "POST":
            return view()
        before = set(perms_of(holder, obj))
        response = view()
        after = set(perms_of(holder, obj))
        if after != before:
            audit.record(
                request.user,
                "permissions.edited_in_admin",
                obj,
                community=_community_of(obj),
                data={**who, "added": sorted(after - before), "removed": sorted(before - after)},
            )
        return response


def _community_of(obj):
    return obj if isinstance(obj, Community) else getattr(obj, "community", None)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("display_name", "email", "phone")}),
        *BaseUserAdmin.fieldsets[2:],
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active")
    search_fields = ("username", "display_name", "email")

    def save_model(self, request, obj, form, change):
        # Through the services: audited, and a deactivated or demoted account's open live
        # sockets are checked again once the admin's transaction commits. The form has checked
        # and normalised a new name (User.clean); the change of name goes through `rename`.
        changed = list(form.changed_data)
        if change and "display_name" in changed and obj.display_name:
            name = obj.display_name
            obj.display_name = form.initial.get("display_name", "")
            changed.remove("display_name")
            services.save_account(request.user, obj, changed=changed)
            services.rename(request.user, obj, name)
        else:
            services.save_account(request.user, obj, changed=changed)


@admin.register(Community)
class CommunityAdmin(StructureAdmin):
    list_display = ("name", "code", "district", "street")
    search_fields = ("name", "code")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Estate)
class EstateAdmin(StructureAdmin):
    list_display = ("name", "community")
    list_filter = ("community",)
    search_fields = ("name",)


@admin.register(Organization)
class OrganizationAdmin(StructureAdmin):
    list_display = ("name", "kind", "community", "estate")
    list_filter = ("kind", "community")
    search_fields = ("name",)


@admin.register(Unit)
class UnitAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("__str__", "area", "area_source", "developer_held")
    list_filter = ("estate", "area_source", "developer_held")
    search_fields = ("building", "number")

    def save_model(self, request, obj, form, change):
        services.save_structure(request.user, obj, changed=list(form.changed_data))


@admin.register(Membership)
class MembershipAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Residents join on the site and are decided in the verification queue or here."""

    list_display = ("user", "community", "status", "requested_at", "decided_by", "decided_at")
    list_filter = ("status", "community")
    search_fields = ("user__username", "user__display_name", "address")
    readonly_fields = [f.name for f in Membership._meta.fields]
    actions = ["verify_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Verify the selected residents"))
    def verify_selected(self, request, queryset):
        done = 0
        for membership in queryset.select_related("community", "user"):
            try:
                services.verify_membership(request.user, membership)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                _report(request, error)
        if done:
            messages.success(request, _("%(count)d verified.") % {"count": done})


@admin.register(Position)
class PositionAdmin(NoDeleteMixin, admin.ModelAdmin):
    """New positions go through services.appoint; existing ones can only be ended."""

    list_display = ("user", "organization", "title", "started_at", "ended_at")
    list_filter = ("organization__community", "organization__kind", "title")
    search_fields = ("user__username", "user__display_name", "organization__name")
    autocomplete_fields = ("user",)
    actions = ["end_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in Position._meta.fields]
        return ["appointed_by", "started_at", "ended_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        # The form has validated title and uniqueness; a refusal here is a 403 page.
        obj.pk = services.appoint(request.user, obj.organization, obj.user, obj.title).pk

    @admin.action(description=_("End the selected positions"))
    def end_selected(self, request, queryset):
        for position in queryset.select_related("organization"):
            try:
                services.end_position(request.user, position)
            except (ValidationError, PermissionDenied) as error:
                _report(request, error)


@admin.register(BuildingHead)
class BuildingHeadAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Building heads (楼长): appointed and ended through their services, never edited."""

    list_display = ("user", "estate", "building", "appointed_by", "started_at", "ended_at")
    list_filter = ("estate__community", "estate")
    search_fields = ("user__username", "user__display_name", "building")
    autocomplete_fields = ("user",)
    actions = ["end_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in BuildingHead._meta.fields]
        return ["appointed_by", "started_at", "ended_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        head = building_head_services.appoint_building_head(
            request.user, obj.estate, obj.building, obj.user
        )
        obj.pk = head.pk

    @admin.action(description=_("End the selected appointments"))
    def end_selected(self, request, queryset):
        for head in queryset.select_related("estate__community"):
            try:
                building_head_services.end_building_head(request.user, head)
            except (ValidationError, PermissionDenied) as error:
                _report(request, error)


@admin.register(PartyMember)
class PartyMemberAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The roll of party members: kept through services on the roll's page; read-only here."""

    list_display = ("user", "organization", "started_at", "ended_at", "end_reason")
    list_filter = ("organization__community",)
    search_fields = ("user__username", "user__display_name")
    readonly_fields = [f.name for f in PartyMember._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ownership)
class OwnershipAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The ownership register: recorded and ended through services, never edited in place."""

    list_display = ("unit", "owner", "is_voter", "started_at", "ended_at")
    list_filter = ("unit__estate", "is_voter")
    search_fields = ("owner__username", "owner__display_name", "unit__number")
    autocomplete_fields = ("owner",)
    raw_id_fields = ("unit",)
    actions = ["make_voter", "end_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in Ownership._meta.fields]
        return ["recorded_by", "started_at", "ended_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        saved = services.record_ownership(
            request.user, obj.unit, obj.owner, is_voter=obj.is_voter or None
        )
        obj.pk = saved.pk

    @admin.action(description=_("Make the selected owner cast the unit's vote"))
    def make_voter(self, request, queryset):
        for ownership in queryset.select_related("unit__estate__community", "owner"):
            try:
                services.designate_voter(request.user, ownership.unit, ownership.owner)
            except (ValidationError, PermissionDenied) as error:
                _report(request, error)

    @admin.action(description=_("End the selected ownerships"))
    def end_selected(self, request, queryset):
        for ownership in queryset.select_related("unit__estate__community"):
            try:
                services.end_ownership(request.user, ownership)
            except (ValidationError, PermissionDenied) as error:
                _report(request, error)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log: read-only for everyone, superusers included."""

    list_display = ("created_at", "actor", "verb", "object_repr", "community")
    list_filter = ("verb", "community")
    search_fields = ("verb", "object_repr", "actor__username")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

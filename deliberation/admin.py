"""Read-only admin pages: staff look things up here, but every change goes through the pages
that call the services (permission checks, audit, notifications). Ballots are not shown."""

from django.contrib import admin

from deliberation.models import (
    Comment,
    Escalation,
    Matter,
    Poll,
    ReceptionSession,
    Resolution,
    Stance,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "procedure", "stage", "status", "created_at"]
    list_filter = ["community", "procedure", "status", "category"]
    search_fields = ["reference", "title"]
    date_hierarchy = "created_at"


@admin.register(Poll)
class PollAdmin(ReadOnlyAdmin):
    list_display = ["question", "matter", "rule", "electorate", "secret", "status", "closed_at"]
    list_filter = ["community", "rule", "status", "secret"]
    search_fields = ["question", "matter__reference"]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ["reference", "matter", "issuing_body", "published_at", "status"]
    list_filter = ["community", "status"]
    search_fields = ["reference", "matter__title"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["matter", "level", "to_organization", "deadline", "answered_at"]
    list_filter = ["level"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["matter", "author", "as_organization", "is_objection", "hidden_at"]
    list_filter = ["is_objection"]
    search_fields = ["matter__reference", "body"]


@admin.register(Stance)
class StanceAdmin(ReadOnlyAdmin):
    list_display = ["matter", "organization", "position", "created_at"]


@admin.register(ReceptionSession)
class ReceptionSessionAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "place", "hosts", "community"]

"""Community boards: resolutions and their implementation, reception sessions and ratings,
escalations; and each person's notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import access as community_access
from deliberation import forms, notify, services
from deliberation.models import (
    Escalation,
    ImplementationUpdate,
    Matter,
    ReceptionSession,
    Resolution,
)
from deliberation.views.common import error_text


def resolutions(request, slug):
    """决议公示栏: published resolutions with their implementation status."""
    community = community_access.get_community_for(request.user, slug)
    visible = Matter.objects.visible_to(request.user, community)
    # 实施结果公开: the board shows what was resolved and the latest word on carrying it out.
    latest_first = ImplementationUpdate.objects.order_by("-created_at", "-id")
    items = (
        Resolution.objects.filter(community=community, matter__in=visible)
        .select_related("matter", "issuing_body", "poll")
        .annotate(update_count=Count("updates"))
        .prefetch_related(Prefetch("updates", queryset=latest_first, to_attr="latest_updates"))
        .order_by("-published_at")
    )
    status = request.GET.get("status", "")
    if status in Resolution.Status.values:
        items = items.filter(status=status)
    return render(
        request,
        "deliberation/resolutions.html",
        {
            "community": community,
            "resolutions": items,
            "status": status,
            "statuses": Resolution.Status.choices,
        },
    )


def receptions(request, slug, *, bound=None, status=200):
    """接访: reception sessions with their public average ratings."""
    community = community_access.get_community_for(request.user, slug)
    bound = bound or {}
    sessions = list(
        ReceptionSession.objects.filter(community=community).annotate(
            average=Avg("ratings__score"), rating_count=Count("ratings")
        )
    )
    rated = set()
    if request.user.is_authenticated:
        rated = set(
            ReceptionSession.objects.filter(
                community=community, ratings__resident=request.user
            ).values_list("pk", flat=True)
        )
    may_rate = request.user.is_authenticated and request.user.has_perm(
        "communities.vote", community
    )
    may_host = request.user.is_authenticated and request.user.has_perm(
        "communities.host_reception", community
    )
    for session in sessions:
        session.rated = session.pk in rated
        # A rating that was refused comes back with what was typed.
        session.rating_form = bound.get(session.pk) or forms.RatingForm(
            auto_id=f"id_%s_{session.pk}"
        )
    return render(
        request,
        "deliberation/receptions.html",
        {
            "community": community,
            "sessions": sessions,
            "may_rate": may_rate,
            "may_host": may_host,
            "host_form": (bound.get("host") or forms.ReceptionForm()) if may_host else None,
        },
        status=status,
    )


@login_required
@require_POST
def hold_reception(request, slug):
    community = community_access.get_community_for(request.user, slug)
    form = forms.ReceptionForm(request.POST)
    if form.is_valid():
        try:
            services.hold_reception(request.user, community, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("The reception session was recorded."))
            return redirect("deliberation:receptions", slug)
    messages.error(request, _("That could not be done; see the form below."))
    return receptions(request, slug, bound={"host": form}, status=400)


@login_required
@require_POST
def rate_reception(request, slug, pk):
    community = community_access.get_community_for(request.user, slug)
    session = ReceptionSession.objects.filter(community=community, pk=pk).first()
    if session is None:
        raise Http404("No such session.")
    form = forms.RatingForm(request.POST, auto_id=f"id_%s_{pk}")
    if form.is_valid():
        try:
            services.rate_reception(request.user, session, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            # Said at the top: an already rated session no longer shows its form.
            messages.error(request, error_text(error))
            return receptions(request, slug, bound={pk: form}, status=400)
        messages.success(request, _("Thank you for your rating."))
        return redirect("deliberation:receptions", slug)
    messages.error(request, _("That could not be done; see the form below."))
    return receptions(request, slug, bound={pk: form}, status=400)


@login_required
def notifications(request):
    items = list(request.user.notifications.select_related("matter__community")[:100])
    # A notice outlives the reader's right to see its matter: ask the one visibility rule now.
    visible = set(
        Matter.objects.visible_to(request.user)
        .filter(pk__in={item.matter_id for item in items if item.matter_id})
        .values_list("pk", flat=True)
    )
    for item in items:
        item.may_see_matter = item.matter_id is None or item.matter_id in visible
        item.text = notify.message(item, may_see_matter=item.may_see_matter)
    return render(request, "deliberation/notifications.html", {"items": items})


@login_required
@require_POST
def notifications_read(request):
    services.mark_notifications_read(request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("deliberation:notifications")


def escalation_board(request, slug):
    """Escalations of the community's visible matters, overdue first."""
    community = community_access.get_community_for(request.user, slug)
    visible = Matter.objects.visible_to(request.user, community)
    items = list(
        Escalation.objects.filter(matter__in=visible)
        .select_related("matter", "to_organization")
        .order_by("answered_at", "deadline")
    )
    for item in items:
        item.overdue = item.is_overdue()
    return render(
        request, "deliberation/escalations.html", {"community": community, "items": items}
    )


def unread_count(request) -> dict:
    """Template context: the bell's number of unread notifications."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"unread_notifications": request.user.notifications.filter(read_at__isnull=True).count()}

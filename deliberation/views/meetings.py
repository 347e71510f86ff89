"""Meeting pages: the list and the chair's scheduling form, the live room, the projector and the
minutes. Who may see a meeting is `Meeting.objects.visible_to`, asked through `access`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from communities import access as community_access
from communities.badges import badges_for
from deliberation import access, forms
from deliberation import meetings as meeting_services
from deliberation.models import Matter, Meeting, Minutes
from deliberation.room_strings import ROOM_STRINGS
from deliberation.views.common import error_text, qr_svg


def meeting_list(request, slug):
    """The community's meetings, upcoming and past; the chair's form to schedule one."""
    community = community_access.get_community_for(request.user, slug)
    items = Meeting.objects.visible_to(request.user, community).select_related("chair")
    may_schedule = access.may_anywhere(request.user, community, "chair_meeting")
    form = None
    status = 200
    if may_schedule:
        form = forms.MeetingForm(request.POST or None, community=community)
        if request.method == "POST":
            if form.is_valid():
                try:
                    meeting = _schedule(request, community, form.cleaned_data)
                except (PermissionDenied, ValidationError) as error:
                    form.add_error(None, error_text(error))
                else:
                    messages.success(request, _("The meeting is scheduled."))
                    return redirect(meeting.get_absolute_url())
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    items = list(items)
    badges = badges_for(community.pk, {m.chair_id for m in items})
    return render(
        request,
        "deliberation/meeting_list.html",
        {"community": community, "meetings": items, "form": form, "badges": badges},
        status=status,
    )


def _schedule(request, community, data):

    agenda = []
    for line in data["agenda"].splitlines():
        line = line.strip()
        if not line:
            continue
        reference, _sep, rest = line.partition(" ")
        matter = Matter.objects.filter(community=community, reference=reference.upper()).first()
        agenda.append(((rest.strip() or matter.title) if matter else line, matter))
    if not agenda:
        raise ValidationError(_("Give the meeting at least one agenda item."))
    rules_of_order = {
        key: data[key]
        for key in ("speech_seconds", "max_speeches", "alternate", "seconding", "pass_rule")
    }
    return meeting_services.schedule_meeting(
        request.user,
        community,
        title=data["title"],
        kind=data["kind"],
        scheduled_at=data["scheduled_at"],
        place=data["place"],
        public=data["public"],
        estate=data["estate"],
        rules_of_order=rules_of_order,
        agenda=agenda,
    )


def _room_context(request, meeting):
    agenda = meeting_services.agenda_view(request.user, meeting)
    current = next((item for item in agenda if item["id"] == meeting.current_item_id), None)
    return {
        "community": meeting.community,
        "meeting": meeting,
        "agenda": agenda,
        "current_item": current,
        "socket_path": f"/ws/meetings/{meeting.pk}/",
        "room_strings": {key: str(value) for key, value in ROOM_STRINGS.items()},
        "may_chair": access.may_chair(request.user, meeting),
        "may_check_in": access.may_check_in(request.user, meeting),
        "badges": badges_for(meeting.community_id, [meeting.chair_id]),
        "minutes": getattr(meeting, "minutes", None),
        "projector_url": reverse("deliberation:meeting_projector", args=[meeting.pk]),
        "minutes_url": reverse("deliberation:meeting_minutes", args=[meeting.pk]),
    }


def meeting_room(request, pk):
    """The live room (phone-friendly); the ES module fills it from the WebSocket."""
    meeting = access.get_meeting_for(request.user, pk)
    return render(request, "deliberation/meeting_room.html", _room_context(request, meeting))


def meeting_projector(request, pk):
    """The big screen in the community hall: item, speaker and timer, the vote."""
    meeting = access.get_meeting_for(request.user, pk)
    context = _room_context(request, meeting)
    # A QR code for joining the live room from a phone in the hall.
    context["join_url"] = request.build_absolute_uri(meeting.get_absolute_url())
    context["join_qr"] = qr_svg(context["join_url"])
    return render(request, "deliberation/meeting_projector.html", context)


def meeting_minutes(request, pk):
    """Minutes: the published text for all; the draft and its editor for the committee."""
    meeting = access.get_meeting_for(request.user, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    may_edit = access.may_edit_minutes(request.user, meeting)
    if minutes is not None and minutes.status != Minutes.Status.PUBLISHED and not may_edit:
        minutes = None
    form = None
    status = 200
    if may_edit:
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "generate":
                    meeting_services.generate_minutes(request.user, meeting)
                    messages.success(request, _("The draft was generated from the meeting's log."))
                    return redirect("deliberation:meeting_minutes", pk)
                if action == "publish":
                    # Publishing keeps what was typed in the editor, unsaved or not.
                    text = request.POST.get("text", "").strip()
                    if text and minutes is not None and text != minutes.text.strip():
                        meeting_services.edit_minutes(request.user, meeting, text=text)
                    meeting_services.publish_minutes(request.user, meeting)
                    messages.success(request, _("The minutes are published."))
                    return redirect("deliberation:meeting_minutes", pk)
                form = forms.MinutesForm(request.POST)
                if form.is_valid():
                    meeting_services.edit_minutes(
                        request.user, meeting, text=form.cleaned_data["text"]
                    )
                    messages.success(request, _("The draft is saved."))
                    return redirect("deliberation:meeting_minutes", pk)
                status = 400
            except (PermissionDenied, ValidationError) as error:
                messages.error(request, error_text(error))
                status = 400
                if form is None and request.POST.get("text"):
                    form = forms.MinutesForm(request.POST)  # what was typed is shown again
        elif minutes is not None and minutes.status == Minutes.Status.DRAFT:
            form = forms.MinutesForm(initial={"text": minutes.text})
    elif request.method == "POST":
        raise PermissionDenied
    # Rendered and sanitised by nh3 when written (meetings.minutes).
    html = mark_safe(minutes.text_html) if minutes else ""  # noqa: S308
    return render(
        request,
        "deliberation/meeting_minutes.html",
        {
            "community": meeting.community,
            "meeting": meeting,
            "minutes": minutes,
            "minutes_html": html,
            "may_edit": may_edit,
            "form": form,
        },
        status=status,
    )


def meeting_minutes_markdown(request, pk):
    """The published minutes (or, for the committee, the draft) as a Markdown file."""
    meeting = access.get_meeting_for(request.user, pk)
    minutes = access.get_minutes_for(request.user, meeting)
    response = HttpResponse(minutes.text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-minutes.md"'
    return response

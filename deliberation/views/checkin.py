"""Check-in pages: each invitee's own code (printable), and the staff's scanner (the phone's
camera where the browser reads QR codes, a typed code otherwise; the form works without
JavaScript). The services are `deliberation.meetings.checkin`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation import access
from deliberation import meetings as meeting_services
from deliberation.meetings import checkin
from deliberation.views.common import error_text, qr_svg

# The scanner page may use the camera (only its own origin); every other page may not.
SCANNER_PERMISSIONS = (
    "accelerometer=(), camera=(self), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), fullscreen=(self)"
)


@login_required
def my_code(request, pk):
    """An invitee's personal check-in code for this meeting: a QR code and the code to type."""
    meeting = access.get_meeting_for(request.user, pk)
    invited = checkin.is_invitee(request.user, meeting)
    code = checkin.code_for(meeting, request.user) if invited else None
    return render(
        request,
        "deliberation/checkin_code.html",
        {
            "community": meeting.community,
            "meeting": meeting,
            "invited": invited,
            "code": code,
            "code_svg": qr_svg(code) if code else "",
        },
        status=200 if invited else 403,
    )


def _staff_meeting(request, pk):
    meeting = access.get_meeting_for(request.user, pk)
    if not access.may_check_in(request.user, meeting):
        raise PermissionDenied(
            _("Only the meeting's chair or the staff of the body convening it may check people in.")
        )
    return meeting


@login_required
def scanner(request, pk):
    """The staff's check-in page: scan or type a code (POST checks the person in)."""
    meeting = _staff_meeting(request, pk)
    if request.method == "POST":
        try:
            entry = checkin.check_in(request.user, meeting, request.POST.get("code", ""))
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": entry.user})
        return redirect("deliberation:meeting_checkin", pk)
    response = render(
        request,
        "deliberation/checkin_scanner.html",
        {
            "community": meeting.community,
            "meeting": meeting,
            "presence": meeting_services.presence(meeting),
            "check_ins": checkin.checked_in(meeting),
            "open": meeting.status in checkin.OPEN_FOR_CHECK_IN,
            "room_url": reverse("deliberation:meeting", args=[meeting.pk]),
            "camera_strings": {
                "scanning": _("Point the camera at the person's code…"),
                "no_camera": _("The camera cannot be used here: please type the code."),
            },
        },
    )
    response["Permissions-Policy"] = SCANNER_PERMISSIONS
    return response


@login_required
@require_POST
def undo(request, pk):
    """Staff undo one check-in, with a reason (kept in the audit log)."""
    meeting = _staff_meeting(request, pk)
    try:
        user_id = int(request.POST.get("user", ""))
    except ValueError:
        messages.error(request, _("This person is not checked in."))
        return redirect("deliberation:meeting_checkin", pk)
    try:
        entry = checkin.undo_check_in(request.user, meeting, user_id, request.POST.get("reason"))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("%(name)s's check-in is undone.") % {"name": entry.user})
    return redirect("deliberation:meeting_checkin", pk)

"""待我处理: each person's own page of what waits for them, and the header's count of it. The
lists are `deliberation.inbox`; this module only renders them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from deliberation import inbox as waiting
from deliberation.meetings import checkin
from deliberation.views.common import qr_svg


@login_required
def inbox(request):
    lists = waiting.everything(request.user)
    # Each invitee's personal check-in code, shown in the meeting's row (and printable on its
    # own page): staff scan it at the door.
    for meeting in [*lists["live"], *lists["upcoming"]]:
        if checkin.is_invitee(request.user, meeting):
            meeting.checkin_code = checkin.code_for(meeting, request.user)
            meeting.checkin_svg = qr_svg(meeting.checkin_code)
    request.inbox_total = waiting.total(lists)  # the header shows this; no second count
    return render(request, "deliberation/inbox.html", {**lists, "total": request.inbox_total})


def inbox_count(request) -> dict:
    """Template context: the header's number of things waiting, counted once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "inbox_total", None) is None:
        request.inbox_total = waiting.count(user)
    return {"inbox_count": request.inbox_total}

"""待我处理: each person's own page of what waits for them, and the header's count of it. The
lists are `deliberation.inbox`; this module only renders them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from deliberation import inbox as waiting


@login_required
def inbox(request):
    lists = waiting.everything(request.user)
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

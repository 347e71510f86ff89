"""The delivery log of a matter's notices, per recipient, with the paper-delivery form: for the
body responsible for the matter only (anyone else gets the 404 a missing page gets)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from communities import access as community_access
from deliberation import access, delivery_log, forms, services
from deliberation.models import Delivery
from deliberation.views.common import error_text

CHANNELS = [
    Delivery.Channel.IN_APP,
    Delivery.Channel.EMAIL,
    Delivery.Channel.SMS,
    Delivery.Channel.PAPER,
]


def _matter_for(user, slug, reference, kind):
    community = community_access.get_community_for(user, slug)
    matter = access.get_matter_for(user, community, reference)
    if kind not in delivery_log.TRACKED_KINDS or not access.answers_for_notices(user, matter):
        raise Http404("No such delivery log.")
    return matter


@login_required
def deliveries(request, slug, reference, kind):
    """Who the notice reached, by unit, on which channel; and recording a paper delivery."""
    matter = _matter_for(request.user, slug, reference, kind)
    rows = delivery_log.recipients(matter, kind)
    status = 200
    if request.method == "POST":
        form = forms.PaperDeliveryForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                services.record_paper_delivery(
                    request.user,
                    matter,
                    form.cleaned_data["notice"],
                    note=form.cleaned_data["note"],
                )
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("The paper delivery was recorded."))
                return redirect(request.path)
        messages.error(request, _("That could not be done; see the form below."))
        status = 400
    else:
        form = forms.PaperDeliveryForm(rows=rows)
    table = [
        {
            "recipient": row.notification.recipient,
            "units": row.units,
            "reached": row.reached,
            "cells": [row.deliveries.get(channel) for channel in CHANNELS],
        }
        for row in rows
    ]
    return render(
        request,
        "deliberation/deliveries.html",
        {
            "community": matter.community,
            "matter": matter,
            "summary": delivery_log.summary(matter, kind),
            "channels": [Delivery.Channel(c).label for c in CHANNELS],
            "table": table,
            "form": form if form.fields["notice"].choices else None,
        },
        status=status,
    )

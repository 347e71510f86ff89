"""The workstation's counter: register a walk-in resident and take down their concern."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from communities import access as community_access
from deliberation import forms, services
from deliberation.views.common import error_text


@login_required
def walk_in(request, slug):
    community = community_access.get_community_for(request.user, slug)
    if not community_access.serves_at_workstation(request.user, community):
        raise Http404("No such page.")
    form = forms.WalkInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                matter = services.register_walk_in(request.user, community, **form.cleaned_data)
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is registered and verified; their concern %(ref)s is on the "
                        "ledger, with the workstation responsible."
                    )
                    % {"name": matter.proposer, "ref": matter.reference},
                )
                return redirect(matter.get_absolute_url())
        status = 400
    return render(
        request,
        "deliberation/walk_in.html",
        {"community": community, "form": form},
        status=status,
    )

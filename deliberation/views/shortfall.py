"""The shortfall list: who has not voted yet in a poll, by building, printable, for its
convening body and for building heads (their own buildings only). Names and units only: no
choice is read to make it (`deliberation.shortfall`)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from communities import access as community_access
from deliberation import access, services, shortfall, turnout
from deliberation.models import Electorate, Poll


def poll_shortfall(request, slug, reference, poll_id):
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    poll = (
        matter.polls.select_related("matter__community", "matter__estate", "estate")
        .exclude(status=Poll.Status.DRAFT)
        .filter(pk=poll_id)
        .first()
    )
    # Missing and forbidden answer alike.
    scope = access.shortfall_scope(request.user, poll) if poll is not None else None
    if scope is None:
        raise Http404("No such list.")
    buildings = shortfall.buildings(poll, scope)
    result = poll.result if poll.is_closed else services.tally(poll)
    return render(
        request,
        "deliberation/shortfall.html",
        {
            "community": community,
            "matter": matter,
            "poll": poll,
            "buildings": buildings,
            "doors": sum(len(b.rows) for b in buildings),
            "whole_list": scope == access.ALL_BUILDINGS,
            "owners": poll.electorate == Electorate.OWNERS,
            "gate": turnout.gate_view(poll, result),
            "as_of": poll.closed_at or timezone.now(),
        },
    )

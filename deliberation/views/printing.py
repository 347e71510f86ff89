"""Printable records: the owners' notice, the resolution notice and the minutes, as an A4 page
for the browser's print (the screen shows it legibly on a phone) and, with `?format=pdf`, as a
PDF download. Each is fetched through the same access helper as the page it comes from, so a
members-only matter's notice and a draft of the minutes stay with those who may read them."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header

from communities import access as community_access
from deliberation import access, printing
from deliberation.models import Resolution


def _respond(request, template: str, document: dict, *, back_url: str, target_url: str):
    """The document as HTML, or as a PDF attachment when `?format=pdf` is asked for."""
    absolute = request.build_absolute_uri(target_url)
    context = {
        **document,
        "back_url": back_url,
        "target_url": absolute,
        "qr": printing.qr_svg(absolute),
        "pdf_url": f"{request.path}?format=pdf",
    }
    if request.GET.get("format") != "pdf":
        return render(request, template, context)
    html = render_to_string(template, {**context, "for_pdf": True}, request=request)
    pdf = printing.write_pdf(html, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type=printing.PDF)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{document['filename']}.pdf"
    )
    return response


def print_notice(request, slug, reference):
    """业主大会公告: the owners' notice of an owners' joint decision, with its agenda."""
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    url = matter.get_absolute_url()
    return _respond(
        request,
        "deliberation/print/notice.html",
        printing.owners_notice(matter),
        back_url=url,
        target_url=url,
    )


def print_resolution(request, slug, reference):
    """决议公开: the matter's published resolution."""
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    resolution = (
        Resolution.objects.filter(matter=matter)
        .select_related("matter__community", "issuing_body", "poll")
        .first()
    )
    if resolution is None:
        raise Http404("No resolution yet.")
    url = matter.get_absolute_url()
    return _respond(
        request,
        "deliberation/print/resolution.html",
        printing.resolution_notice(resolution),
        back_url=f"{url}#resolution",
        target_url=url,
    )


def print_minutes(request, pk):
    """会议纪要: the published minutes (the draft for the residents' committee)."""
    meeting = access.get_meeting_for(request.user, pk)
    minutes = access.get_minutes_for(request.user, meeting)
    url = reverse("deliberation:meeting_minutes", args=[meeting.pk])
    return _respond(
        request,
        "deliberation/print/minutes.html",
        printing.minutes_document(request.user, meeting, minutes),
        back_url=url,
        target_url=url,
    )

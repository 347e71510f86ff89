"""The ledger (台账): every matter of a community the reader may see, filterable, as a page and
as CSV; and the form to put a new matter on it."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities import access as community_access
from deliberation import access, forms, procedures, services
from deliberation.models import Category, Matter
from deliberation.views.common import error_text, streamed


def _ledger_queryset(request, community, form):
    matters = (
        Matter.objects.visible_to(request.user, community)
        .select_related("community", "first_body", "estate", "on_behalf_of")
        .order_by("-created_at", "-id")
    )
    if not form.is_valid():
        return matters
    data = form.cleaned_data
    if data["q"]:
        matters = matters.filter(
            Q(title__icontains=data["q"])
            | Q(reference__icontains=data["q"])
            | Q(body__icontains=data["q"])
        )
    for field in ("status", "procedure", "stage", "category"):
        if data.get(field):
            matters = matters.filter(**{field: data[field]})
    if data["organization"]:
        org = data["organization"]
        matters = matters.filter(
            Q(stakeholders=org) | Q(on_behalf_of=org) | Q(first_body=org)
        ).distinct()
    if data["overdue"]:
        matters = matters.filter(access.overdue_q()).distinct()
    return matters


def _ledger_rows(matters, now):
    overdue_ids = set(
        Matter.objects.filter(pk__in=[m.pk for m in matters])
        .filter(access.overdue_q(now))
        .values_list("pk", flat=True)
    )
    rows = []
    for matter in matters:
        if rows:
            matter.community = rows[0]["matter"].community  # one instance: bodies looked up once
        spec = matter.procedure_spec
        rows.append(
            {
                "matter": matter,
                "procedure": spec.name,
                "stage": spec.stage(matter.stage).name,
                "stage_index": spec.position(matter.stage) + 1,
                "stage_count": len(spec.stages),
                "age_days": (now - matter.created_at).days,
                "who": access.who_must_act(matter),
                "deadline": matter.deadline if matter.in_progress else None,
                "deadline_is_minimum": matter.deadline_is_minimum,
                "overdue": matter.pk in overdue_ids,
            }
        )
    return rows


def ledger(request, slug):
    """台账: every matter of the community the reader may see, filterable and searchable."""
    community = community_access.get_community_for(request.user, slug)
    form = forms.LedgerFilterForm(request.GET or None, community=community)
    matters = _ledger_queryset(request, community, form)
    page = Paginator(matters, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deliberation/ledger.html",
        {
            "community": community,
            "form": form,
            "page": page,
            "rows": _ledger_rows(list(page), now),
            "query": query.urlencode(),
            "may_propose": access.may_anywhere(request.user, community, "propose_matter"),
        },
    )


CSV_MAX_ROWS = 10000
CSV_CHUNK_ROWS = 500  # rows per chunk sent; the database is read 2,000 rows at a time


def ledger_csv(request, slug):
    """The same ledger as CSV, UTF-8 with a BOM so that Excel reads the Chinese text.

    Streamed, at a cost linear in the rows: a fixed number of queries however many rows (the
    overdue set once, then one chunked read), and no Markdown rendered (the summary is the
    excerpt stored when the matter was written).
    """
    community = community_access.get_community_for(request.user, slug)
    form = forms.LedgerFilterForm(request.GET or None, community=community)
    matters = _ledger_queryset(request, community, form)
    now = timezone.now()
    overdue = set(matters.filter(access.overdue_q(now)).values_list("pk", flat=True))
    rows = (
        matters.select_related(None)
        .select_related("first_body")
        .defer("body", "body_html", "closing_reason")[:CSV_MAX_ROWS]
        .iterator(chunk_size=2000)
    )
    filename = f"{community.slug}-ledger-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        streamed(request, _csv_chunks(rows, community, now, overdue, translation.get_language())),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Lines:
    """A file-like object that hands back what csv.writer wrote to it."""

    def write(self, line: str) -> str:
        return line


def _csv_chunks(matters, community, now, overdue: set, language: str):
    # Runs while the response is sent, after the view has returned: in the reader's language.
    with translation.override(language):
        yield from _csv_lines(matters, community, now, overdue)


def _csv_lines(matters, community, now, overdue: set):
    writer = csv.writer(_Lines())
    header = [
        _("Reference"),
        _("Title"),
        _("Procedure"),
        _("Stage"),
        _("Status"),
        _("Category"),
        _("Proposed"),
        _("Age (days)"),
        _("Who must act"),
        _("Deadline"),
        _("Overdue"),
        _("Summary"),
    ]
    chunk = ["\ufeff", writer.writerow(header)]
    # Words that many rows share, translated once per download rather than once per row.
    statuses = {value: str(label) for value, label in Matter.Status.choices}
    categories = {value: str(label) for value, label in Category.choices}
    yes = _("yes")
    words: dict[tuple, tuple[str, str, str]] = {}
    for matter in matters:
        matter.community = community  # one instance: bodies looked up once for all rows
        # Procedure, stage and who must act follow from these alone (access.who_must_act).
        key = (matter.procedure, matter.stage, matter.in_progress, matter.first_body_id,
               matter.estate_id)  # fmt: skip
        if key not in words:
            spec = matter.procedure_spec
            words[key] = (
                str(spec.name),
                str(spec.stage(matter.stage).name),
                access.who_must_act(matter),
            )
        procedure, stage, who = words[key]
        deadline = matter.deadline if matter.in_progress else None
        chunk.append(
            writer.writerow(
                [
                    matter.reference,
                    _csv_safe(matter.title),
                    procedure,
                    stage,
                    statuses.get(matter.status, matter.status),
                    categories.get(matter.category, matter.category),
                    timezone.localtime(matter.created_at).strftime("%Y-%m-%d"),
                    (now - matter.created_at).days,
                    who,
                    timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
                    yes if matter.pk in overdue else "",
                    _csv_safe(matter.excerpt),
                ]
            )
        )
        if len(chunk) >= CSV_CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel; a leading quote keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def propose(request, slug):
    community = community_access.get_community_for(request.user, slug)
    speaking = access.speaking_bodies(request.user, community)
    form = forms.ProposeForm(
        request.POST or None,
        community=community,
        speaking=speaking,
        initial={"procedure": request.GET.get("procedure", "")},
    )
    # Who may not propose here is told so before filling the form in, and how to join.
    may_propose = access.may_anywhere(request.user, community, "propose_matter")
    own_membership = (
        community.memberships.filter(user=request.user).first()
        if request.user.is_authenticated and not may_propose
        else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                matter = services.propose_matter(
                    request.user,
                    community,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    procedure=data["procedure"],
                    on_behalf_of=data["on_behalf_of"],
                    stakeholders=data["stakeholders"],
                    estate=data["estate"],
                    concern_kind=data["concern_kind"],
                    project_type=data["project_type"],
                    budget=data["budget"],
                    visibility=data["visibility"],
                )
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(
                    request, _("Matter %(ref)s is on the ledger.") % {"ref": matter.reference}
                )
                return redirect(matter.get_absolute_url())
        status = 400
    return render(
        request,
        "deliberation/propose.html",
        {
            "community": community,
            "form": form,
            "procedures": procedures.PROCEDURES.values(),
            "may_propose": may_propose,
            "own_membership": own_membership,
        },
        status=status,
    )

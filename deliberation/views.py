"""Pages for matters: the ledger, the matter page and its actions, resolutions, receptions,
notifications. Views parse input, call one service or access helper, and render."""

import csv
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities import access as community_access
from communities.models import AuditEvent
from deliberation import access, charts, forms, notify, procedures, services
from deliberation import meetings as meeting_services
from deliberation.models import (
    LAW_NAMES,
    Electorate,
    Escalation,
    ImplementationUpdate,
    Matter,
    Meeting,
    Minutes,
    Poll,
    ReceptionSession,
    Resolution,
    Stance,
)
from deliberation.text import plain_excerpt, render_markdown

TRANSITION_LABELS = {
    "proposed": gettext_lazy("proposed"),
    "advanced": gettext_lazy("moved on"),
    "completed": gettext_lazy("completed"),
    "rejected": gettext_lazy("rejected"),
    "withdrawn": gettext_lazy("withdrawn"),
    "merged": gettext_lazy("merged"),
    "extended": gettext_lazy("deadline extended"),
    "rated": gettext_lazy("rated by the requester"),
    "resolution": gettext_lazy("resolution published"),
}

# The audit trail's verbs (communities.audit) as a reader says them; the code stays in the data.
AUDIT_LABELS = {
    "matter.proposed": gettext_lazy("matter proposed"),
    "matter.advanced": gettext_lazy("moved to the next stage"),
    "matter.completed": gettext_lazy("matter completed"),
    "matter.rejected": gettext_lazy("matter rejected"),
    "matter.withdrawn": gettext_lazy("matter withdrawn"),
    "matter.merged": gettext_lazy("matter merged"),
    "matter.extended": gettext_lazy("deadline extended"),
    "matter.rated": gettext_lazy("rated by the requester"),
    "matter.escalated": gettext_lazy("escalated"),
    "escalation.answered": gettext_lazy("escalation answered"),
    "comment.posted": gettext_lazy("comment posted"),
    "comment.objection": gettext_lazy("objection raised"),
    "comment.edited": gettext_lazy("comment edited"),
    "comment.hidden": gettext_lazy("comment hidden"),
    "comment.objection_answered": gettext_lazy("objection answered"),
    "stance.stated": gettext_lazy("position stated"),
    "poll.created": gettext_lazy("poll created"),
    "poll.opened": gettext_lazy("voting opened"),
    "poll.closed": gettext_lazy("poll closed, result frozen"),
    "resolution.published": gettext_lazy("resolution published"),
    "resolution.updated": gettext_lazy("implementation update published"),
}

REASON_TEXT = {
    "participation_area": gettext_lazy("owners taking part hold less than 2/3 of the area"),
    "participation_heads": gettext_lazy("fewer than 2/3 of owners took part"),
    "quorum": gettext_lazy("quorum not reached"),
    "pass_area": gettext_lazy("not enough yes by area"),
    "pass_heads": gettext_lazy("not enough yes by headcount"),
    "pass": gettext_lazy("not enough yes votes"),
    "several_carried": gettext_lazy("more than one choice reached the threshold"),
}


PARAM_LABELS = {
    "participation": gettext_lazy("participation"),
    "quorum": gettext_lazy("quorum"),
    "pass": gettext_lazy("to pass"),
    "mode": gettext_lazy("counting"),
}
MODE_LABELS = {
    "yes_over_no": gettext_lazy("yes more than no"),
    "majority_of_members": gettext_lazy("more than half of all members"),
}


def _params_text(params: dict) -> str:
    """Thresholds in words and symbols, e.g. "participation ≥ 2/3 · to pass > 1/2"."""
    parts = []
    for name, value in params.items():
        if name == "mode":
            shown = str(MODE_LABELS.get(value, value))
        else:
            shown = (
                value.replace(">=", "≥ ") if value.startswith(">=") else value.replace(">", "> ")
            )
        parts.append(f"{PARAM_LABELS.get(name, name)} {shown}")
    return " · ".join(parts)


def _law_text(law: str) -> str:
    """Where a rule comes from, in the reader's language when the source is a known one."""
    return str(LAW_NAMES.get(law, law))


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do that.")


# ---------------------------------------------------------------------------------------------
# The ledger (台账)


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


def ledger_csv(request, slug):
    """The same ledger as CSV, UTF-8 with a BOM so that Excel reads the Chinese text."""
    community = community_access.get_community_for(request.user, slug)
    form = forms.LedgerFilterForm(request.GET or None, community=community)
    matters = list(_ledger_queryset(request, community, form)[:10000])
    now = timezone.now()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{community.slug}-ledger-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
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
    )
    for row in _ledger_rows(matters, now):
        matter = row["matter"]
        writer.writerow(
            [
                matter.reference,
                _csv_safe(matter.title),
                row["procedure"],
                row["stage"],
                matter.get_status_display(),
                matter.get_category_display(),
                timezone.localtime(matter.created_at).strftime("%Y-%m-%d"),
                row["age_days"],
                row["who"],
                timezone.localtime(row["deadline"]).strftime("%Y-%m-%d %H:%M")
                if row["deadline"]
                else "",
                _("yes") if row["overdue"] else "",
                _csv_safe(plain_excerpt(matter.body, 200)),
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel; a leading quote keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------------------------------------
# Proposing


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
                form.add_error(None, _error_text(error))
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


# ---------------------------------------------------------------------------------------------
# The matter page


def _bars_for(poll, result, measure: str):
    counts = result["counts"]
    total = result["participation"][measure]
    carried = set(result.get("carried", []))
    bars = []
    for choice in poll.choices.all():
        cell = counts.get(choice.code, {"heads": 0, "area": "0.00"})
        value = Decimal(cell[measure]) if measure == "area" else cell[measure]
        total_value = Decimal(total) if measure == "area" else total
        text = f"{value} m²" if measure == "area" else str(value)
        bars.append(
            charts.Bar(
                key=choice.code,
                label=choice.display,
                value=value,
                total=total_value,
                value_text=text,
                highlight=choice.code in carried or (choice.code == "yes" and result["passed"]),
            )
        )
    return bars


def _threshold(poll, result):
    text = result.get("params", {}).get("pass")
    if not text:
        return None
    inclusive = text.startswith(">=")
    num, den = text.lstrip(">=").split("/")
    return Fraction(int(num), int(den)), inclusive


def _poll_view(request, matter, poll, bound_vote=None):
    """Everything the page shows about one poll, for this reader."""
    user = request.user
    show_results = poll.is_closed or not poll.results_hidden
    result = poll.result if poll.is_closed else (services.tally(poll) if poll.is_open else None)
    chart_svgs = []
    if result is not None and show_results:
        measures = [("heads", _("Headcount"))]
        if poll.electorate == Electorate.OWNERS:
            measures.append(("area", _("Exclusive area")))
        for measure, title in measures:
            bars = _bars_for(poll, result, measure)
            threshold = _threshold(poll, result)
            if threshold and poll.kind == Poll.Kind.YES_NO_ABSTAIN:
                bars = [
                    charts.Bar(**{**b.__dict__, "threshold": threshold[0]}) if b.key == "yes" else b
                    for b in bars
                ]
            chart_svgs.append(
                mark_safe(  # noqa: S308 - charts escape every label and value themselves
                    charts.bar_chart(
                        bars,
                        title=f"{poll.question} · {title}",
                        total_label=_("%(what)s taking part: %(n)s")
                        % {
                            "what": title,
                            "n": f"{result['participation'][measure]}"
                            + (" m²" if measure == "area" else ""),
                        },
                    )
                )
            )
    voted = services.has_voted(user, poll) if user.is_authenticated else False
    slots = []
    organizations = []
    if poll.is_open and user.is_authenticated:
        if poll.electorate == Electorate.ORGANIZATIONS:
            organizations = access.speaking_bodies(user, matter.community)
            slots = organizations
        else:
            from deliberation import electorates

            slots = electorates.slots(user, poll)
    vote_form = None
    if poll.is_open and slots and (not voted or poll.allow_change):
        vote_form = bound_vote or forms.VoteForm(poll=poll, organizations=organizations)
    reasons = [REASON_TEXT.get(code, code) for code in (result or {}).get("reasons", [])]
    return {
        "poll": poll,
        "params_text": _params_text((result or {}).get("params", {})),
        "law": _law_text((result or {}).get("source", {}).get("law", "")),
        "result": result if show_results else None,
        "turnout": (result or {}).get("participation"),
        "charts": chart_svgs,
        "voted": voted,
        "eligible": bool(slots),
        "vote_form": vote_form,
        "reasons": reasons,
        "may_close": poll.is_open and access.may_act(user, matter, procedures.CLOSE_POLL),
        "may_open": poll.status == Poll.Status.DRAFT
        and access.may_act(user, matter, procedures.OPEN_POLL),
    }


def _audit_trail(matter):
    ct = ContentType.objects.get_for_model
    related = (
        Q(object_type=ct(Matter), object_id=str(matter.pk))
        | Q(
            object_type=ct(Poll),
            object_id__in=[str(p) for p in matter.polls.values_list("pk", flat=True)],
        )
        | Q(data__matter=matter.reference)
    )
    events = list(
        AuditEvent.objects.filter(related)
        .exclude(verb="poll.voted")
        .select_related("actor")
        .order_by("created_at", "id")[:500]
    )
    for event in events:
        event.label = AUDIT_LABELS.get(event.verb, event.verb)
    return events


def _comment_tree(matter, user, moderator):
    comments = list(
        matter.comments.select_related("author", "as_organization", "hidden_by", "answered_by")
        .prefetch_related("revisions")
        .order_by("created_at", "id")
    )
    children = {}
    for comment in comments:
        comment.visible_to_reader = not comment.is_hidden or moderator
        comment.overdue = comment.objection_overdue()
        comment.may_edit = (
            user.is_authenticated and comment.author_id == user.pk and not comment.is_hidden
        )
        children.setdefault(comment.parent_id, []).append(comment)
    for comment in comments:
        comment.children = children.get(comment.pk, [])
    return children.get(None, [])


def _matter_context(request, matter, bound=None):
    user = request.user
    bound = bound or {}
    spec = matter.procedure_spec
    stage = matter.stage_spec
    current_index = spec.position(matter.stage)
    stages = [
        {
            "spec": s,
            "state": "done"
            if i < current_index or (i == current_index and matter.closed_at)
            else ("current" if i == current_index else "todo"),
        }
        for i, s in enumerate(spec.stages)
    ]
    speaking = access.speaking_bodies(user, matter.community)
    stakeholders = list(matter.stakeholders.in_display_order())
    stances = list(Stance.objects.filter(matter=matter).select_related("organization", "author"))
    current_stances = {}
    for stance in stances:
        current_stances.setdefault(stance.organization_id, stance)
    moderator = access.may_moderate(user, matter.community)
    resolution = (
        Resolution.objects.filter(matter=matter)
        .select_related("issuing_body", "published_by", "poll")
        .prefetch_related(
            Prefetch("updates", queryset=ImplementationUpdate.objects.select_related("author"))
        )
        .first()
    )
    polls = list(matter.polls.prefetch_related("choices"))
    bound_poll = bound.get("vote_poll")
    poll_views = [
        _poll_view(request, matter, p, bound.get("vote") if bound_poll == p.pk else None)
        for p in polls
    ]
    escalations = list(
        matter.escalations.select_related("to_organization", "raised_by", "answered_by")
    )
    for escalation in escalations:
        escalation.overdue = escalation.is_overdue()
        escalation.may_answer = (
            user.is_authenticated
            and escalation.answered_at is None
            and user.has_perm("communities.answer_escalation", escalation.to_organization)
        )

    def may(action):
        return access.may_act(user, matter, action)

    transitions = list(matter.transitions.select_related("actor", "as_organization"))
    for transition in transitions:
        transition.label = TRANSITION_LABELS.get(transition.action, transition.action)
        transition.to_name = spec.stage(transition.to_stage).name if transition.to_stage else ""

    action_forms = {}
    if matter.in_progress and user.is_authenticated:
        if may(procedures.ADVANCE):
            advance_form = bound.get("advance") or forms.NoteForm()
            if stage.note_label:
                advance_form.fields["note"].label = stage.note_label
            advance_form.fields["note"].required = procedures.NOTE in stage.requires
            action_forms["advance"] = advance_form
        if may(procedures.REJECT):
            action_forms["reject"] = bound.get("reject") or forms.ReasonForm()
        if may(procedures.EXTEND):
            action_forms["extend"] = bound.get("extend") or forms.ExtendForm()
        if may(procedures.RATE) and matter.proposer_id == user.pk:
            action_forms["rate"] = bound.get("rate") or forms.RateForm()
        if may(procedures.CREATE_POLL):
            action_forms["create_poll"] = bound.get("create_poll") or forms.PollForm(stage=stage)
        if may(procedures.PUBLISH_RESOLUTION) and resolution is None:
            action_forms["publish_resolution"] = (
                bound.get("publish_resolution") or forms.ResolutionForm()
            )
        if may(procedures.POST_UPDATE) and resolution is not None:
            action_forms["post_update"] = bound.get("post_update") or forms.UpdateForm()
        if matter.status == Matter.Status.OPEN and (matter.proposer_id == user.pk or moderator):
            action_forms["withdraw"] = bound.get("withdraw") or forms.ReasonForm()
        if matter.status == Matter.Status.OPEN and moderator:
            action_forms["merge"] = bound.get("merge") or forms.MergeForm()
        if access.may_escalate(user, matter):
            action_forms["escalate"] = bound.get("escalate") or forms.EscalateForm()
    # Several of these forms share field names (reason, note): each gets ids of its own, so
    # that every label on the page names its own field.
    for action, form in action_forms.items():
        form.auto_id = f"id_{action}_%s"
    stance_orgs = [o for o in speaking if o in stakeholders] if matter.in_progress else []
    comment_form = None
    own_membership = None
    if access.may_comment(user, matter):
        comment_form = bound.get("comment") or forms.CommentForm(
            speaking=speaking, allow_objection=stage.public_notice
        )
    elif user.is_authenticated and matter.in_progress:
        # Said in place of the form: why not, and (unless pending) how to join.
        own_membership = matter.community.memberships.filter(user=user).first()
    deadline_overdue = bool(
        matter.in_progress
        and matter.deadline
        and not matter.deadline_is_minimum
        and timezone.now() > matter.deadline
    )
    return {
        "community": matter.community,
        "matter": matter,
        "procedure": spec,
        "stage": stage,
        "stages": stages,
        "who_must_act": access.who_must_act(matter),
        "deadline_overdue": deadline_overdue,
        "overdue": access.is_overdue(matter),
        "transitions": transitions,
        "body_html": mark_safe(render_markdown(matter.body)),  # noqa: S308 - sanitised by nh3
        "stakeholders": [
            {"organization": o, "stance": current_stances.get(o.pk)} for o in stakeholders
        ],
        "stance_history": stances,
        "stance_form": (bound.get("stance") or forms.StanceForm(organizations=stance_orgs))
        if stance_orgs
        else None,
        "comments": _comment_tree(matter, user, moderator),
        "comment_form": comment_form,
        "own_membership": own_membership,
        "moderator": moderator,
        "may_answer_objections": access.may_act(user, matter, procedures.ANSWER_OBJECTION),
        "polls": poll_views,
        "resolution": resolution,
        "escalations": escalations,
        "action_forms": action_forms,
        "advance_label": stage.advance_label,
        "note_label": stage.note_label,
        "audit": _audit_trail(matter),
        "merged": matter.merged_matters.all(),
    }


def matter_detail(request, slug, reference):
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    if request.user.is_authenticated:
        request.user.notifications.filter(matter=matter, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    return render(request, "deliberation/matter.html", _matter_context(request, matter))


# Each action: (form class, how to build the form, how to call the service).
def _poll_of(matter, pk):
    poll = matter.polls.filter(pk=pk).first()
    if poll is None:
        raise ValidationError(_("No such poll on this matter."))
    return poll


def _comment_of(matter, pk):
    comment = matter.comments.filter(pk=pk).first()
    if comment is None:
        raise ValidationError(_("No such comment on this matter."))
    return comment


def _do_advance(user, matter, data, request):
    services.advance(user, matter, note=data["note"])
    return _("The matter moved on.")


def _do_reject(user, matter, data, request):
    services.reject(user, matter, reason=data["reason"])
    return _("The matter was rejected.")


def _do_withdraw(user, matter, data, request):
    services.withdraw(user, matter, reason=data["reason"])
    return _("The matter was withdrawn. It stays on the ledger.")


def _do_merge(user, matter, data, request):
    into = Matter.objects.filter(
        community=matter.community, reference=data["into"].strip().upper()
    ).first()
    if into is None:
        raise ValidationError(_("No matter with that reference in this community."))
    services.merge(user, matter, into, reason=data["reason"])
    return _("The matter was merged into %(ref)s.") % {"ref": into.reference}


def _do_extend(user, matter, data, request):
    services.extend_deadline(user, matter, days=data["days"], reason=data["reason"])
    return _("The deadline was extended.")


def _do_rate(user, matter, data, request):
    services.rate_response(user, matter, score=data["score"])
    return _("Thank you for rating the response.")


def _do_comment(user, matter, data, request):
    parent = _comment_of(matter, data["parent"]) if data.get("parent") else None
    services.post_comment(
        user,
        matter,
        body=data["body"],
        parent=parent,
        as_organization=data.get("as_organization"),
        objection=data.get("objection", False),
    )
    return _("Your comment was posted.")


def _do_edit_comment(user, matter, data, request):
    services.edit_comment(user, _comment_of(matter, data["comment"]), body=data["body"])
    return _("Your comment was updated; the earlier text is kept.")


def _do_hide_comment(user, matter, data, request):
    services.hide_comment(user, _comment_of(matter, data["comment"]), reason=data["reason"])
    return _("The comment was hidden. Moderators can still read it.")


def _do_answer_objection(user, matter, data, request):
    services.answer_objection(user, _comment_of(matter, data["comment"]), body=data["body"])
    return _("The objection was answered.")


def _do_stance(user, matter, data, request):
    services.state_stance(
        user,
        matter,
        data["organization"],
        position=data["position"],
        statement=data["statement"],
    )
    return _("The position was recorded.")


def _do_create_poll(user, matter, data, request):
    closes_at = data.get("closes_at")
    services.create_poll(
        user,
        matter,
        question=data["question"],
        kind=data["kind"],
        choices=(data.get("choices") or "").splitlines(),
        electorate=data["electorate"],
        max_choices=data["max_choices"],
        secret=data["secret"],
        results_hidden=data["results_hidden"],
        allow_change=data["allow_change"],
        closes_at=closes_at,
        law_item=data.get("law_item"),
    )
    return _("The poll was created.")


def _do_open_poll(user, matter, data, request):
    services.open_poll(user, _poll_of(matter, data["poll"]))
    return _("Voting is open.")


def _do_close_poll(user, matter, data, request):
    services.close_poll(user, _poll_of(matter, data["poll"]))
    return _("The poll was closed and its result frozen.")


def _do_vote(user, matter, data, request):
    poll = _poll_of(matter, data["poll"])
    outcome = services.cast_ballot(
        user, poll, data["_picked"], organization=data.get("organization")
    )
    if outcome["status"] == "changed":
        return _("Your vote was changed.")
    if outcome["status"] == "unchanged":
        return _("Your vote was already recorded.")
    return _("Your vote was recorded.")


def _do_publish_resolution(user, matter, data, request):
    resolution = services.publish_resolution(user, matter, text=data["text"])
    return _("Resolution %(ref)s was published.") % {"ref": resolution.reference}


def _do_post_update(user, matter, data, request):
    services.post_update(user, matter, text=data["text"], status=data["status"])
    return _("The update was published.")


def _do_escalate(user, matter, data, request):
    escalation = services.escalate(
        user, matter, reason=data["reason"], grace_days=data["grace_days"]
    )
    return _("The matter was escalated to %(to)s.") % {"to": escalation.to_organization.name}


def _do_answer_escalation(user, matter, data, request):
    escalation = matter.escalations.filter(pk=data["escalation"]).first()
    if escalation is None:
        raise ValidationError(_("No such escalation on this matter."))
    services.answer_escalation(user, escalation, response=data["response"])
    return _("The escalation was answered.")


ACTIONS = {
    "advance": (forms.NoteForm, _do_advance),
    "reject": (forms.ReasonForm, _do_reject),
    "withdraw": (forms.ReasonForm, _do_withdraw),
    "merge": (forms.MergeForm, _do_merge),
    "extend": (forms.ExtendForm, _do_extend),
    "rate": (forms.RateForm, _do_rate),
    "comment": (forms.CommentForm, _do_comment),
    "edit_comment": (forms.EditCommentForm, _do_edit_comment),
    "hide_comment": (forms.HideCommentForm, _do_hide_comment),
    "answer_objection": (forms.AnswerObjectionForm, _do_answer_objection),
    "stance": (forms.StanceForm, _do_stance),
    "create_poll": (forms.PollForm, _do_create_poll),
    "open_poll": (forms.PollRefForm, _do_open_poll),
    "close_poll": (forms.PollRefForm, _do_close_poll),
    "vote": (forms.VoteForm, _do_vote),
    "publish_resolution": (forms.ResolutionForm, _do_publish_resolution),
    "post_update": (forms.UpdateForm, _do_post_update),
    "escalate": (forms.EscalateForm, _do_escalate),
    "answer_escalation": (forms.AnswerEscalationForm, _do_answer_escalation),
}


def _bind(action, request, matter):
    form_class = ACTIONS[action][0]
    data = request.POST
    if action == "comment":
        return form_class(
            data,
            speaking=access.speaking_bodies(request.user, matter.community),
            allow_objection=matter.stage_spec.public_notice,
        )
    if action == "stance":
        return form_class(
            data, organizations=access.speaking_bodies(request.user, matter.community)
        )
    if action == "create_poll":
        return form_class(data, stage=matter.stage_spec)
    if action == "vote":
        try:
            poll = _poll_of(matter, int(data.get("poll", "")))
        except (ValueError, ValidationError):
            raise Http404("No such poll.") from None
        return form_class(
            data,
            poll=poll,
            organizations=access.speaking_bodies(request.user, matter.community),
        )
    return form_class(data)


@login_required
@require_POST
def matter_action(request, slug, reference, action):
    """Every action on a matter: parse the form, call its service, and show the outcome.

    On an error the page is rendered again with the form as typed and the reason, so nothing
    the person wrote is lost.
    """
    if action not in ACTIONS:
        raise Http404("No such action.")
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    form = _bind(action, request, matter)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if action == "vote":
            data["_picked"] = form.picked()
        try:
            message = ACTIONS[action][1](request.user, matter, data, request)
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, message)
            return redirect(matter.get_absolute_url() + f"#{action.replace('_', '-')}")
    bound = {action: form}
    if action == "vote":
        bound["vote_poll"] = form.initial.get("poll") or _int(request.POST.get("poll"))
    messages.error(request, _("That could not be done; see the form below."))
    matter.refresh_from_db()
    return render(
        request, "deliberation/matter.html", _matter_context(request, matter, bound), status=400
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Resolutions board, receptions, notifications


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
            form.add_error(None, _error_text(error))
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
            messages.error(request, _error_text(error))
            return receptions(request, slug, bound={pk: form}, status=400)
        messages.success(request, _("Thank you for your rating."))
        return redirect("deliberation:receptions", slug)
    messages.error(request, _("That could not be done; see the form below."))
    return receptions(request, slug, bound={pk: form}, status=400)


@login_required
def notifications(request):
    items = list(request.user.notifications.select_related("matter__community")[:100])
    for item in items:
        item.text = notify.message(item)
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


# ---------------------------------------------------------------------------------------------
# Meetings


def _meeting_for(user, pk):
    """A meeting the user may see: public ones for anyone, others for members (404 otherwise)."""

    meeting = Meeting.objects.select_related("community", "chair", "estate").filter(pk=pk).first()
    if meeting is None or not (meeting.public or meeting_services.may_attend(user, meeting)):
        raise Http404("No such meeting.")
    return meeting


def meeting_list(request, slug):
    """The community's meetings, upcoming and past; the chair's form to schedule one."""

    community = community_access.get_community_for(request.user, slug)
    items = Meeting.objects.filter(community=community).select_related("chair")
    if not (request.user.is_superuser or meeting_services.is_insider(request.user, community.pk)):
        items = items.filter(public=True)
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
                    form.add_error(None, _error_text(error))
                else:
                    messages.success(request, _("The meeting is scheduled."))
                    return redirect(meeting.get_absolute_url())
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "deliberation/meeting_list.html",
        {"community": community, "meetings": items, "form": form},
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
    from django.urls import reverse

    from deliberation.room_strings import ROOM_STRINGS

    return {
        "community": meeting.community,
        "meeting": meeting,
        "socket_path": f"/ws/meetings/{meeting.pk}/",
        "room_strings": {key: str(value) for key, value in ROOM_STRINGS.items()},
        "may_chair": meeting_services.may_chair(request.user, meeting),
        "minutes": getattr(meeting, "minutes", None),
        "projector_url": reverse("deliberation:meeting_projector", args=[meeting.pk]),
        "minutes_url": reverse("deliberation:meeting_minutes", args=[meeting.pk]),
    }


def meeting_room(request, pk):
    """The live room (phone-friendly); the ES module fills it from the WebSocket."""
    meeting = _meeting_for(request.user, pk)
    return render(request, "deliberation/meeting_room.html", _room_context(request, meeting))


def meeting_projector(request, pk):
    """The big screen in the community hall: item, speaker and timer, the vote."""
    meeting = _meeting_for(request.user, pk)
    return render(request, "deliberation/meeting_projector.html", _room_context(request, meeting))


def meeting_minutes(request, pk):
    """Minutes: the published text for all; the draft and its editor for the committee."""

    meeting = _meeting_for(request.user, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    may_edit = meeting_services.may_edit_minutes(request.user, meeting)
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
                messages.error(request, _error_text(error))
                status = 400
        elif minutes is not None and minutes.status == Minutes.Status.DRAFT:
            form = forms.MinutesForm(initial={"text": minutes.text})
    elif request.method == "POST":
        raise PermissionDenied
    html = mark_safe(render_markdown(minutes.text[:20000])) if minutes else ""  # noqa: S308
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

    meeting = _meeting_for(request.user, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    may_edit = meeting_services.may_edit_minutes(request.user, meeting)
    if minutes is None or (minutes.status != Minutes.Status.PUBLISHED and not may_edit):
        raise Http404("No minutes yet.")
    response = HttpResponse(minutes.text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-minutes.md"'
    return response

"""The matter page: its stages, stances, discussion, polls with result charts, resolution,
escalations and audit trail, as this reader may see and act on them."""

from decimal import Decimal
from fractions import Fraction

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import access as community_access
from communities.badges import badges_for
from communities.models import AuditEvent
from deliberation import (
    access,
    charts,
    delivery_log,
    electorates,
    forms,
    printing,
    procedures,
    services,
    turnout,
)
from deliberation.models import (
    LAW_NAMES,
    Electorate,
    ImplementationUpdate,
    Matter,
    Poll,
    Resolution,
    Stance,
)
from deliberation.views import register

TRANSITION_LABELS = {
    "proposed": gettext_lazy("proposed"),
    "advanced": gettext_lazy("moved on"),
    "completed": gettext_lazy("completed"),
    "rejected": gettext_lazy("rejected"),
    "withdrawn": gettext_lazy("withdrawn"),
    "merged": gettext_lazy("merged"),
    "extended": gettext_lazy("deadline extended"),
    "rerun": gettext_lazy("void vote put to a fresh notice"),
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
    "poll.extended": gettext_lazy("voting extended, as its notice allowed"),
    "matter.rerun": gettext_lazy("void vote put to a fresh notice"),
    "matter.received_at_counter": gettext_lazy("received at the counter for a resident"),
    "poll.scrutineer_appointed": gettext_lazy("scrutineer appointed"),
    "poll.scrutineer_ended": gettext_lazy("scrutineer's appointment ended"),
    "poll.paper_entered": gettext_lazy("written ballot entered, awaiting a second scrutineer"),
    "poll.paper_confirmed": gettext_lazy("written ballot confirmed by a second scrutineer"),
    "poll.paper_withdrawn": gettext_lazy("written ballot entry withdrawn"),
    "poll.box_entered": gettext_lazy("ballot box count entered"),
    "poll.box_confirmed": gettext_lazy("ballot box count confirmed"),
    "poll.box_withdrawn": gettext_lazy("ballot box entry withdrawn"),
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


def _bars_for(poll, result, measure: str, void: bool = False):
    counts = result["counts"]
    # A void vote's ballots are drawn against the whole electorate, as the small part they are.
    base = "electorate" if void else "participation"
    total = result[base][measure]
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
    void = poll.is_closed and turnout.is_void(result)
    if result is not None and show_results:
        measures = [("heads", _("Headcount"))]
        if poll.electorate == Electorate.OWNERS:
            measures.append(("area", _("Exclusive area")))
        for measure, title in measures:
            bars = _bars_for(poll, result, measure, void)
            threshold = _threshold(poll, result)
            if threshold and poll.kind == Poll.Kind.YES_NO_ABSTAIN and not void:
                bars = [
                    charts.Bar(**{**b.__dict__, "threshold": threshold[0]}) if b.key == "yes" else b
                    for b in bars
                ]
            chart_svgs.append(
                mark_safe(  # noqa: S308 - charts escape every label and value themselves
                    charts.bar_chart(
                        bars,
                        title=f"{poll.question} · {title}",
                        percentages=not void,
                        total_label=(
                            _("%(what)s of the ballots, drawn against the whole electorate")
                            if void
                            else _("%(what)s taking part: %(n)s")
                        )
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
        "gate": turnout.gate_view(poll, result) if poll.status != Poll.Status.DRAFT else None,
        "void": void,
        "may_see_shortfall": poll.status != Poll.Status.DRAFT
        and access.shortfall_scope(user, poll) is not None,
        "charts": chart_svgs,
        "voted": voted,
        "eligible": bool(slots),
        "vote_form": vote_form,
        "reasons": reasons,
        "may_close": poll.is_open and access.may_close_poll(user, poll),
        "may_extend": services.extendable(poll)
        and access.may_act(user, matter, procedures.EXTEND_POLL),
        "may_open": poll.status == Poll.Status.DRAFT
        and access.may_act(user, matter, procedures.OPEN_POLL),
        **register_links(user, poll, voted=voted, eligible=bool(slots)),
    }


def register_links(user, poll, *, voted: bool, eligible: bool) -> dict:
    """The register's ways in from the matter page: the votes one casts as a proxy, whether
    one may authorise a proxy, and the register for its keepers."""
    keeps = poll.is_open or poll.is_closed
    return {
        "held": register.held_for_poll(user, poll),
        "may_proxy": user.is_authenticated
        and not poll.is_closed
        and not voted
        and (
            eligible or (poll.status == Poll.Status.DRAFT and bool(electorates.slots(user, poll)))
        ),
        "keeps_register": keeps
        and (access.responsible_for_poll(user, poll) or access.is_scrutineer(user, poll)),
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
    return children.get(None, []), comments


def matter_context(request, matter, bound=None):
    user = request.user
    visible = Matter.objects.visible_to(user, matter.community)
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
        if may(procedures.RERUN_VOTE) and services.may_rerun(matter):
            action_forms["rerun_vote"] = bound.get("rerun_vote") or forms.NoteForm()
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
    comment_roots, comments = _comment_tree(matter, user, moderator)
    speakers = {matter.proposer_id, *(c.author_id for c in comments)}
    speakers |= {s.author_id for s in stances} | {t.actor_id for t in transitions}
    if resolution is not None:
        speakers |= {u.author_id for u in resolution.updates.all()}
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
        "owners_notice_published": printing.notice_published(matter, transitions),
        # Rendered and sanitised by nh3 when written (services.propose_matter).
        "body_html": mark_safe(matter.body_html),  # noqa: S308
        "stakeholders": [
            {"organization": o, "stance": current_stances.get(o.pk)} for o in stakeholders
        ],
        "stance_history": stances,
        "stance_form": (bound.get("stance") or forms.StanceForm(organizations=stance_orgs))
        if stance_orgs
        else None,
        "comments": comment_roots,
        # Verified role badges beside the names of all who speak here (communities.badges).
        "badges": badges_for(matter.community_id, speakers),
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
        # How far the notices to the electorate reached: for the responsible body only.
        "delivery_summaries": [
            delivery_log.summary(matter, kind) for kind in delivery_log.kinds_sent(matter)
        ]
        if access.answers_for_notices(user, matter)
        else [],
        # Duplicates folded into this matter, and the matter this one went into, as far as the
        # reader may see them: a members-only matter's title stays with its members.
        "merged": visible.filter(merged_into=matter).order_by("created_at", "id"),
        "merged_into": visible.filter(pk=matter.merged_into_id).first()
        if matter.merged_into_id
        else None,
    }


def matter_detail(request, slug, reference):
    community = community_access.get_community_for(request.user, slug)
    matter = access.get_matter_for(request.user, community, reference)
    if request.user.is_authenticated:
        services.mark_notifications_read(request.user, matter=matter)
    return render(request, "deliberation/matter.html", matter_context(request, matter))

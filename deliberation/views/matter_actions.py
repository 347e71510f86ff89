"""Every action on a matter, from one URL: parse its form, call its service, show the outcome
(on a refusal, the page again with the form as typed and the reason)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import access as community_access
from deliberation import access, forms, services
from deliberation.models import Matter
from deliberation.views.common import error_text
from deliberation.views.matter_page import matter_context


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
        extension_days=data.get("extension_days") or 0,
    )
    return _("The poll was created.")


def _do_extend_poll(user, matter, data, request):
    poll = services.extend_poll(user, _poll_of(matter, data["poll"]))
    return _("Voting is extended until %(when)s.") % {
        "when": timezone.localtime(poll.closes_at).strftime("%Y-%m-%d %H:%M")
    }


def _do_rerun_vote(user, matter, data, request):
    services.rerun_vote(user, matter, note=data.get("note", ""))
    return _("The void items are on a fresh notice; voting opens when it has run.")


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
    "extend_poll": (forms.PollRefForm, _do_extend_poll),
    "rerun_vote": (forms.NoteForm, _do_rerun_vote),
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
            form.add_error(None, error_text(error))
        else:
            messages.success(request, message)
            return redirect(matter.get_absolute_url() + f"#{action.replace('_', '-')}")
    bound = {action: form}
    if action == "vote":
        bound["vote_poll"] = form.initial.get("poll") or _int(request.POST.get("poll"))
    messages.error(request, _("That could not be done; see the form below."))
    matter.refresh_from_db()
    return render(
        request, "deliberation/matter.html", matter_context(request, matter, bound), status=400
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

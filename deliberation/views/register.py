"""A poll's register (投票登记册): scrutineers, written ballots and boxes, proxies, and the
reconciliation of online, paper and proxy ballots; and a voter's proxy page. Each form calls its
service; a refusal shows the page again with the form as typed and the reason."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities import access as community_access
from deliberation import access
from deliberation.models import Electorate, Meeting, PaperBallot, Poll, Proxy
from deliberation.services import proxies as proxy_services
from deliberation.services import register as services
from deliberation.views.common import error_text

User = get_user_model()


class WhoForm(forms.Form):
    """Whose written ballot: a unit (owners' votes) or an account name (everyone else)."""

    unit = forms.CharField(
        label=gettext_lazy("Unit"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("As written on the ballot, e.g. 1栋101 or 1-101."),
    )
    username = forms.CharField(label=gettext_lazy("Voter's account name"), required=False)

    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        if poll.electorate == Electorate.OWNERS:
            del self.fields["username"]
            self.fields["unit"].required = True
        else:
            del self.fields["unit"]
            self.fields["username"].required = True

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if "unit" in self.fields:
            unit = community_access.find_unit(self.poll.community, data["unit"])
            if unit is None:
                raise ValidationError(_("No such unit is registered in this community."))
            data["who"] = {"unit": unit}
        else:
            user = User.objects.filter(username=data["username"].strip()).first()
            if user is None:
                raise ValidationError(_("No account has that name."))
            data["who"] = {"voter": user}
        return data


def _choice_field(poll):
    options = [(c.code, c.display) for c in poll.choices.all()]
    if poll.max_choices > 1:
        return forms.MultipleChoiceField(
            label=_("Choice on the ballot"), choices=options, widget=forms.CheckboxSelectMultiple
        )
    return forms.ChoiceField(
        label=_("Choice on the ballot"), choices=options, widget=forms.RadioSelect
    )


class PaperForm(WhoForm):
    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, poll=poll, **kwargs)
        self.fields["choice"] = _choice_field(poll)


class ConfirmForm(forms.Form):
    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"] = _choice_field(poll)


class BoxForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Ballot box"), max_length=60)

    def __init__(self, *args, poll, confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if confirm:
            del self.fields["label"]
        owners = poll.electorate == Electorate.OWNERS
        self.codes = []
        for choice in poll.choices.all():
            self.codes.append(choice.code)
            self.fields[f"heads_{choice.code}"] = forms.IntegerField(
                label=_("%(choice)s: ballots") % {"choice": choice.display},
                min_value=0,
                max_value=1_000_000,
                initial=0,
            )
            if owners:
                self.fields[f"area_{choice.code}"] = forms.DecimalField(
                    label=_("%(choice)s: area (m²)") % {"choice": choice.display},
                    min_value=0,
                    max_digits=12,
                    decimal_places=2,
                    initial=0,
                )

    def totals(self) -> dict:
        data = self.cleaned_data
        return {
            code: {"heads": data[f"heads_{code}"], "area": data.get(f"area_{code}") or 0}
            for code in self.codes
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class AppointForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Account name of the scrutineer"))

    def clean_username(self):
        user = User.objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise ValidationError(_("No account has that name."))
        return user


class ProxyForm(forms.Form):
    holder = forms.CharField(
        label=gettext_lazy("Account name of your proxy"),
        help_text=gettext_lazy("The person you authorise to vote for you."),
    )
    principal = forms.CharField(
        label=gettext_lazy("Account name of the voter"),
        required=False,
        help_text=gettext_lazy("Staff only: registering a proxy for a voter who came in person."),
    )
    document = forms.FileField(
        label=gettext_lazy("Written authorisation"),
        help_text=gettext_lazy(
            "A photo (JPEG, PNG or WebP) or a PDF of the signed form, at most 5 MB."
        ),
    )

    def _user(self, name):
        user = User.objects.filter(username=(name or "").strip()).first()
        if user is None:
            raise ValidationError(_("No account has that name."))
        return user

    def clean_holder(self):
        return self._user(self.cleaned_data["holder"])

    def clean_principal(self):
        name = self.cleaned_data.get("principal")
        return self._user(name) if name else None


# --- The register page ----------------------------------------------------------------------


def _register_context(request, poll, bound=None):
    user = request.user
    responsible = access.responsible_for_poll(user, poll)
    scrutineer = access.is_scrutineer(user, poll)
    if not (responsible or scrutineer):
        raise Http404("No such register.")
    bound = bound or {}
    pending = list(
        poll.paper_ballots.filter(status=PaperBallot.Status.PENDING).select_related(
            "voter", "unit", "entered_by"
        )
    )
    boxes = list(poll.paper_boxes.select_related("entered_by", "confirmed_by"))
    return {
        "poll": poll,
        "matter": poll.matter,
        "responsible": responsible,
        "scrutineer": scrutineer,
        "report": services.reconciliation(poll),
        "waiting": services.paper_outstanding(poll) if poll.is_open else "",
        "scrutineers": poll.scrutineers.filter(ended_at__isnull=True).select_related("user"),
        "pending": [
            (p, bound.get(f"confirm-{p.pk}") or ConfirmForm(poll=poll, prefix=f"c{p.pk}"))
            for p in pending
        ],
        "boxes": [
            (
                b,
                bound.get(f"confirm_box-{b.pk}")
                or BoxForm(poll=poll, confirm=True, prefix=f"b{b.pk}"),
            )
            for b in boxes
        ],
        "proxies": Proxy.objects.filter(poll=poll).select_related("principal", "holder")
        if responsible
        else [],
        "appoint_form": bound.get("appoint") or AppointForm(),
        "paper_form": bound.get("paper") or PaperForm(poll=poll),
        "receipt_form": bound.get("receipt") or WhoForm(poll=poll),
        "box_form": bound.get("box") or BoxForm(poll=poll),
        "withdraw_form": ReasonForm(),
    }


@login_required
def poll_register(request, pk):
    """The register of one poll, for its responsible body and its scrutineers."""
    poll = access.get_poll_for(request.user, pk)
    return render(request, "deliberation/register.html", _register_context(request, poll))


def _paper(poll, data):
    paper = poll.paper_ballots.filter(pk=data.get("paper")).first()
    if paper is None:
        raise Http404("No such written ballot.")
    return paper


def _box(poll, data):
    box = poll.paper_boxes.filter(pk=data.get("box")).first()
    if box is None:
        raise Http404("No such box.")
    return box


def _act(request, poll, action):
    """(bound form key, form, what to do once valid) for a register action."""
    post, user = request.POST, request.user
    if action == "appoint":
        form = AppointForm(post)
        return (
            "appoint",
            form,
            lambda d: (
                services.appoint_scrutineer(user, poll, d["username"]),
                _("The scrutineer was appointed."),
            )[1],
        )
    if action == "end_scrutineer":
        scrutineer = poll.scrutineers.filter(pk=post.get("scrutineer")).first()
        if scrutineer is None:
            raise Http404("No such scrutineer.")
        return (
            None,
            forms.Form(post),
            lambda d: (
                services.end_scrutineer(user, scrutineer),
                _("The appointment was ended."),
            )[1],
        )
    if action == "paper":
        form = PaperForm(post, poll=poll)
        return (
            "paper",
            form,
            lambda d: (
                services.enter_paper_ballot(user, poll, choices=_picked(d), **d["who"]),
                _("The written ballot was entered; a second scrutineer must now confirm it."),
            )[1],
        )
    if action == "confirm":
        paper = _paper(poll, post)
        form = ConfirmForm(post, poll=poll, prefix=f"c{paper.pk}")
        return (
            f"confirm-{paper.pk}",
            form,
            lambda d: (
                services.confirm_paper_ballot(user, paper, _picked(d)),
                _("Both readings agree: the written ballot is counted."),
            )[1],
        )
    if action == "withdraw":
        paper = _paper(poll, post)
        return (
            None,
            ReasonForm(post),
            lambda d: (
                services.withdraw_paper_ballot(user, paper, d["reason"]),
                _("The entry was withdrawn."),
            )[1],
        )
    if action == "receipt":
        form = WhoForm(post, poll=poll)
        return (
            "receipt",
            form,
            lambda d: (
                services.record_paper_receipt(user, poll, **d["who"]),
                _("Recorded: this voter took a ballot at the box."),
            )[1],
        )
    if action == "box":
        form = BoxForm(post, poll=poll)
        return (
            "box",
            form,
            lambda d: (
                services.enter_paper_box(user, poll, label=d["label"], totals=form.totals()),
                _("The box's count was entered; a second scrutineer must now count it too."),
            )[1],
        )
    if action == "confirm_box":
        box = _box(poll, post)
        form = BoxForm(post, poll=poll, confirm=True, prefix=f"b{box.pk}")
        return (
            f"confirm_box-{box.pk}",
            form,
            lambda d: (
                services.confirm_paper_box(user, box, form.totals()),
                _("Both counts agree: the box is counted."),
            )[1],
        )
    if action == "withdraw_box":
        box = _box(poll, post)
        return (
            None,
            ReasonForm(post),
            lambda d: (
                services.withdraw_paper_box(user, box, d["reason"]),
                _("The box's entry was withdrawn."),
            )[1],
        )
    raise Http404("No such action.")


def _picked(data) -> list[str]:
    value = data["choice"]
    return list(value) if isinstance(value, list) else [value]


@login_required
@require_POST
def poll_register_action(request, pk, action):
    """Every action of the register, from one URL."""
    poll = access.get_poll_for(request.user, pk)
    key, form, run = _act(request, poll, action)
    if form.is_valid():
        try:
            message = run(form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, message)
            return redirect("deliberation:poll_register", pk=poll.pk)
    if not (
        access.responsible_for_poll(request.user, poll) or access.is_scrutineer(request.user, poll)
    ):
        raise Http404("No such register.")
    messages.error(
        request,
        " ".join(form.non_field_errors()) or _("That could not be done; see the form below."),
    )
    poll.refresh_from_db()
    context = _register_context(request, poll, {key: form} if key else None)
    return render(request, "deliberation/register.html", context, status=400)


# --- Proxies --------------------------------------------------------------------------------


def _proxy_context(request, poll, meeting, form=None):
    user = request.user
    scope = {"poll": poll} if poll is not None else {"meeting": meeting}
    staff = access.registers_proxies(user, poll, meeting)
    form = form or ProxyForm()
    if not staff:
        form.fields.pop("principal", None)
    return {
        "poll": poll,
        "meeting": meeting,
        "community": (poll or meeting).community,
        "form": form,
        "staff": staff,
        "mine": Proxy.objects.filter(principal=user, **scope).select_related("holder"),
        "held": Proxy.objects.filter(holder=user, **scope).select_related("principal"),
        "registered": Proxy.objects.filter(**scope).select_related("principal", "holder")
        if staff
        else [],
    }


def _proxy_page(request, poll=None, meeting=None):
    if request.method == "POST":
        form = ProxyForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            principal = data.get("principal") or request.user
            try:
                proxy_services.authorise_proxy(
                    request.user, principal, data["holder"], poll=poll, meeting=meeting,
                    upload=data["document"],
                )  # fmt: skip
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(
                    request, _("%(name)s may now vote for %(who)s.")
                    % {"name": data["holder"], "who": principal},
                )  # fmt: skip
                return redirect(request.path)
        messages.error(request, _("That could not be done; see the form below."))
        context = _proxy_context(request, poll, meeting, form)
        return render(request, "deliberation/proxy.html", context, status=400)
    return render(request, "deliberation/proxy.html", _proxy_context(request, poll, meeting))


@login_required
def poll_proxy(request, pk):
    """Authorise a proxy for one poll; the authorisations one gave and holds."""
    poll = access.get_poll_for(request.user, pk)
    return _proxy_page(request, poll=poll)


@login_required
def meeting_proxy(request, pk):
    """Authorise a proxy for the polls of one meeting."""
    meeting = access.get_meeting_for(request.user, pk)
    if meeting.status == Meeting.Status.ENDED:
        raise Http404("The meeting has ended.")
    return _proxy_page(request, meeting=meeting)


def _proxy_for(user, pk) -> Proxy:
    proxy = (
        Proxy.objects.select_related("poll", "meeting", "principal", "holder").filter(pk=pk).first()
    )
    if proxy is None or not access.may_see_proxy(user, proxy):
        raise Http404("No such proxy.")
    return proxy


@login_required
@require_POST
def revoke_proxy(request, pk):
    proxy = _proxy_for(request.user, pk)
    try:
        proxy_services.revoke_proxy(request.user, proxy)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The proxy was revoked."))
    if proxy.poll_id:
        return redirect("deliberation:poll_proxy", pk=proxy.poll_id)
    return redirect("deliberation:meeting_proxy", pk=proxy.meeting_id)


@login_required
@require_POST
def vote_by_proxy(request, pk):
    """The proxy casts the voter's ballot on the matter's page."""
    proxy = _proxy_for(request.user, pk)
    poll = access.get_poll_for(request.user, int(request.POST.get("poll") or 0))
    form = ConfirmForm(request.POST, poll=poll, prefix=f"p{proxy.pk}")
    target = poll.matter.get_absolute_url() + f"#poll-{poll.pk}" if poll.matter_id else "/"
    if not form.is_valid():
        messages.error(request, _("Choose among the poll's choices."))
        return redirect(target)
    try:
        proxy_services.cast_by_proxy(request.user, proxy, poll, _picked(form.cleaned_data))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, _("Your vote for %(name)s was recorded.") % {"name": proxy.principal}
        )
    return redirect(target)


@login_required
def proxy_document(request, pk):
    """The written authorisation, to those who may see the proxy; never cached, never inline
    script (the CSP's sandbox), downloaded under its own name."""
    proxy = _proxy_for(request.user, pk)
    document = proxy.document
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="proxy-{proxy.pk}{_suffix(document)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


def _suffix(document) -> str:
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(document.content_type, "")


def held_for_poll(user, poll: Poll) -> list[tuple[Proxy, ConfirmForm]]:
    """The voters `user` may vote for in this poll, each with a form (for the matter page)."""
    if not poll.is_open or not user.is_authenticated:
        return []
    return [
        (proxy, ConfirmForm(poll=poll, prefix=f"p{proxy.pk}"))
        for proxy in proxy_services.proxies_held(user, poll)
    ]

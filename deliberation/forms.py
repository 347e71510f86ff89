"""Forms parse input for the deliberation pages; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.forms import DisplayNameField, EmailField, PhoneField
from communities.models import Estate, Organization
from deliberation import procedures, rules
from deliberation.models import (
    Category,
    ConcernKind,
    Electorate,
    Matter,
    Poll,
    ProjectType,
    Resolution,
    Stance,
)

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ProposeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("Markdown: **bold**, lists, links. Say what, why, where and what it costs."),
    )
    procedure = forms.ChoiceField(label=_("Procedure"), choices=procedures.PROCEDURE_CHOICES)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    on_behalf_of = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("myself"),
    )
    stakeholders = forms.ModelMultipleChoiceField(
        label=_("Stakeholder organisations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They are notified and may state their position."),
    )
    estate = forms.ModelChoiceField(
        label=_("Estate"),
        queryset=Estate.objects.none(),
        required=False,
        help_text=_("Only for owners' joint decisions."),
    )
    concern_kind = forms.ChoiceField(
        label=_("Kind of concern"),
        choices=[("", "—"), *ConcernKind.choices],
        required=False,
        help_text=_("Only for concerns: it sets the deadline for the answer."),
    )
    project_type = forms.ChoiceField(
        label=_("Project type"),
        choices=[("", "—"), *ProjectType.choices],
        required=False,
        help_text=_("Only for micro-projects."),
    )
    budget = forms.DecimalField(
        label=_("Budget (¥)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=[("", _("the procedure's default")), *Matter.Visibility.choices],
        required=False,
    )

    def __init__(self, *args, community, speaking, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_behalf_of"].queryset = Organization.objects.filter(
            pk__in=[o.pk for o in speaking]
        )
        self.fields["stakeholders"].queryset = community.organizations.in_display_order()
        self.fields["estate"].queryset = community.estates.all()


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=TEXTAREA, required=False, max_length=10000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=TEXTAREA, max_length=2000)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Reference of the matter it duplicates"), max_length=24)
    reason = forms.CharField(label=_("Reason"), widget=TEXTAREA, max_length=2000)


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason for the extension"), widget=TEXTAREA, max_length=2000)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the response?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), widget=TEXTAREA, max_length=5000)
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
    as_organization = forms.ModelChoiceField(
        label=_("Speak as"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("myself"),
    )
    objection = forms.BooleanField(
        label=_("This is a formal objection (异议) during public notice"), required=False
    )

    def __init__(self, *args, speaking=(), allow_objection=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_organization"].queryset = Organization.objects.filter(
            pk__in=[o.pk for o in speaking]
        )
        if not speaking:
            del self.fields["as_organization"]
        if not allow_objection:
            del self.fields["objection"]


class CommentRefForm(forms.Form):
    comment = forms.IntegerField(widget=forms.HiddenInput)


class EditCommentForm(CommentRefForm):
    body = forms.CharField(label=_("Comment"), widget=TEXTAREA, max_length=5000)


class HideCommentForm(CommentRefForm):
    reason = forms.CharField(label=_("Reason for hiding"), max_length=300)


class AnswerObjectionForm(CommentRefForm):
    body = forms.CharField(label=_("Answer"), widget=TEXTAREA, max_length=5000)


class StanceForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none()
    )
    position = forms.ChoiceField(
        label=_("Position"), choices=Stance.Position.choices, widget=forms.RadioSelect
    )
    statement = forms.CharField(label=_("Statement"), widget=TEXTAREA, max_length=5000)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            pk__in=[o.pk for o in organizations]
        )


class PollForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Poll.Kind.choices)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Only for single and multiple choice."),
    )
    max_choices = forms.IntegerField(
        label=_("Most choices per ballot"), min_value=1, max_value=20, initial=1
    )
    electorate = forms.ChoiceField(label=_("Who votes"), choices=Electorate.choices)
    law_item = forms.TypedChoiceField(
        label=_("Art. 278 item"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[
            ("", "—"),
            (1, _("1. rules of procedure")),
            (2, _("2. management statute")),
            (3, _("3. elect or replace the owners' committee")),
            (4, _("4. hire or dismiss the property company")),
            (5, _("5. use the maintenance fund")),
            (6, _("6. raise the maintenance fund (special)")),
            (7, _("7. rebuild or reconstruct buildings (special)")),
            (8, _("8. change the use of common parts (special)")),
            (9, _("9. other major matters")),
        ],
    )
    secret = forms.BooleanField(label=_("Secret ballot"), required=False)
    results_hidden = forms.BooleanField(label=_("Hide results until close"), required=False)
    allow_change = forms.BooleanField(
        label=_("Voters may change their vote while it is open"), required=False
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    extension_days = forms.IntegerField(
        label=_("If too few take part, it may be extended once by (days)"),
        min_value=0,
        max_value=30,
        initial=0,
        required=False,
        help_text=_("Part of the notice: 0 allows no extension."),
    )

    def __init__(self, *args, stage=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stage is not None and stage.poll is not None:
            allowed = set(stage.poll.electorates)
            self.fields["electorate"].choices = [c for c in Electorate.choices if c[0] in allowed]
            if "owners" not in allowed:
                del self.fields["law_item"]
            if stage.poll.rule not in rules.EXTENDABLE_RULES:
                del self.fields["extension_days"]


class PollRefForm(forms.Form):
    poll = forms.IntegerField(widget=forms.HiddenInput)


class VoteForm(PollRefForm):
    def __init__(self, *args, poll, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        options = [(c.code, c.display) for c in poll.choices.all()]
        if poll.max_choices > 1:
            self.fields["choice"] = forms.MultipleChoiceField(
                label=poll.question, choices=options, widget=forms.CheckboxSelectMultiple
            )
        else:
            self.fields["choice"] = forms.ChoiceField(
                label=poll.question, choices=options, widget=forms.RadioSelect
            )
        if poll.electorate == Electorate.ORGANIZATIONS:
            self.fields["organization"] = forms.ModelChoiceField(
                label=_("Vote for"),
                queryset=Organization.objects.filter(pk__in=[o.pk for o in organizations]),
            )
        self.initial.setdefault("poll", poll.pk)

    def picked(self) -> list[str]:
        value = self.cleaned_data["choice"]
        return list(value) if isinstance(value, list) else [value]


class ResolutionForm(forms.Form):
    text = forms.CharField(
        label=_("Text of the resolution"), widget=forms.Textarea(attrs={"rows": 6})
    )


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("What was done"), widget=TEXTAREA, max_length=10000)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Resolution.Status.IN_PROGRESS, Resolution.Status.IN_PROGRESS.label),
            (Resolution.Status.COMPLETED, Resolution.Status.COMPLETED.label),
        ],
    )


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Why it must go up a level"), widget=TEXTAREA, max_length=5000)
    grace_days = forms.IntegerField(
        label=_("Grace period in days (宽限期)"), min_value=0, max_value=60, initial=0
    )


class AnswerEscalationForm(forms.Form):
    escalation = forms.IntegerField(widget=forms.HiddenInput)
    response = forms.CharField(label=_("Response"), widget=TEXTAREA, max_length=10000)


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any")), *Matter.Status.choices]
    )
    procedure = forms.ChoiceField(
        label=_("Procedure"),
        required=False,
        choices=[("", _("any")), *procedures.PROCEDURE_CHOICES],
    )
    stage = forms.CharField(label=_("Stage"), required=False, max_length=32)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("any")), *Category.choices]
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("any"),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = community.organizations.in_display_order()
        stages = {}
        for spec in procedures.PROCEDURES.values():
            for stage in spec.stages:
                stages.setdefault(stage.code, stage.name)
        self.fields["stage"] = forms.ChoiceField(
            label=_("Stage"), required=False, choices=[("", _("any")), *stages.items()]
        )


class ReceptionForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=120)
    hosts = forms.CharField(
        label=_("Received by"),
        max_length=300,
        help_text=_("The officials and deputies who received residents, with their roles."),
    )
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=())
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    estate = forms.ModelChoiceField(
        label=_("Estate"),
        queryset=Estate.objects.none(),
        required=False,
        help_text=_("Only for an owners' assembly."),
    )
    public = forms.BooleanField(label=_("Open to the public"), required=False, initial=True)
    agenda = forms.CharField(
        label=_("Agenda, one item per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Start a line with a matter's reference (e.g. LH-2026-0007) to link it."),
    )
    speech_seconds = forms.IntegerField(
        label=_("Speech time (seconds)"), min_value=15, max_value=1800, initial=120
    )
    max_speeches = forms.IntegerField(
        label=_("Speeches per person per item"), min_value=1, max_value=10, initial=2
    )
    alternate = forms.BooleanField(
        label=_("Alternate pro and con speakers"), required=False, initial=True
    )
    seconding = forms.BooleanField(label=_("Motions need a second"), required=False)
    pass_rule = forms.ChoiceField(
        label=_("A motion carries when"),
        choices=[
            ("yes_over_no", _("yes votes outnumber no votes")),
            ("majority_of_members", _("more than half of all members vote yes")),
        ],
    )

    def __init__(self, *args, community, **kwargs):
        from deliberation.models import Meeting

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Meeting.Kind.choices
        self.fields["estate"].queryset = community.estates.all()


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes (Markdown)"), widget=forms.Textarea(attrs={"rows": 20}), max_length=50000
    )


class WalkInForm(forms.Form):
    """A resident who came to the workstation's counter, and their concern (接诉即办)."""

    display_name = DisplayNameField(
        label=_("Resident's name"), help_text=_("As their neighbours know them.")
    )
    phone = PhoneField(help_text=_("11 digits; notices reach them by SMS."))
    email = EmailField(help_text=_("With an e-mail they can set a password and sign in later."))
    address = forms.CharField(
        label=_("Address in the community (optional)"),
        max_length=200,
        required=False,
        help_text=_("Building and room, e.g. 1栋101: it links them to their unit."),
    )
    concern_kind = forms.ChoiceField(label=_("Kind of concern"), choices=ConcernKind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("The concern, in their words"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
    )


class PaperDeliveryForm(forms.Form):
    """纸质送达: which recipient a printed notice reached, and how."""

    notice = forms.TypedChoiceField(label=_("Delivered on paper to"), coerce=int)
    note = forms.CharField(
        label=_("How (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: slipped under the door by the building head."),
    )

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].choices = [
            (
                row.notification.pk,
                " ".join([str(row.notification.recipient), *(u.label for u in row.units)]),
            )
            for row in rows
            if "paper" not in row.deliveries
        ]

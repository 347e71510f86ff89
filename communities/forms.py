from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from communities import names
from communities.models import Membership


class DisplayNameField(forms.CharField):
    """A display name, normalised and checked as `communities.names` says."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your name"))
        kwargs.setdefault(
            "help_text", _("As your neighbours and the residents' committee know you.")
        )
        super().__init__(max_length=names.DISPLAY_NAME_MAX, **kwargs)

    def clean(self, value):
        return names.clean_display_name(super().clean(value))


class SignUpForm(UserCreationForm):
    display_name = DisplayNameField()

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "display_name")


class NameForm(forms.Form):
    display_name = DisplayNameField()


class JoinForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("address",)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput)

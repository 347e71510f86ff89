from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from communities.models import Membership


class SignUpForm(UserCreationForm):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=64,
        help_text=_("As your neighbours and the residents' committee know you."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "display_name")


class JoinForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("address",)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput)

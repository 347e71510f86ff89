import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from communities import contact, names
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


class EmailField(forms.EmailField):
    """An optional e-mail address, for a password reset and notices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("E-mail (optional)"))
        kwargs.setdefault(
            "help_text", _("To reset your password and to receive notices by e-mail.")
        )
        super().__init__(required=False, max_length=254, **kwargs)

    def clean(self, value):
        return contact.clean_email(super().clean(value))


class PhoneField(forms.CharField):
    """An optional mainland mobile number, for notices by SMS (`communities.contact`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone (optional)"))
        kwargs.setdefault("help_text", _("11 digits, for notices by SMS."))
        super().__init__(required=False, max_length=20, **kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "tel", "autocomplete": "tel"}

    def clean(self, value):
        return contact.clean_phone(super().clean(value))


class SignUpForm(UserCreationForm):
    display_name = DisplayNameField()
    email = EmailField()
    phone = PhoneField()

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "display_name", "email", "phone")


class ContactForm(forms.Form):
    email = EmailField()
    phone = PhoneField()


class NameForm(forms.Form):
    display_name = DisplayNameField()


class JoinForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("address",)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput)


class ResetByEmailForm(PasswordResetForm):
    """Django's reset form, which also reaches an active account that has no password yet: a
    walk-in resident registered by workstation staff sets their first password this way."""

    def get_users(self, email):
        def key(text):
            return unicodedata.normalize("NFKC", text or "").casefold()

        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if key(user.email) == key(email))

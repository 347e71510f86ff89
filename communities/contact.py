"""A person's contact details (e-mail, mobile phone): reading them, and the one service that
changes them.

Other code reads a phone number through `phone_of` only (the SMS channel does), so that where
it is kept can change in one place.
"""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from communities import audit

User = get_user_model()

# What people type around the digits: spaces, hyphens, and a +86 / 0086 country prefix.
_SEPARATORS = re.compile(r"[\s\-\u00a0\u3000()（）]")
_COUNTRY = re.compile(r"^(\+86|0086|86(?=1\d{10}$))")


def phone_of(user) -> str:
    """The person's mainland mobile number (11 digits), or "" when they gave none."""
    if user is None or not getattr(user, "pk", None):
        return ""
    return user.phone or ""


def clean_phone(text: str) -> str:
    """A typed mobile number as stored: digits only, "" for none; a clear error otherwise."""
    value = _COUNTRY.sub("", _SEPARATORS.sub("", (text or "").strip()))
    if not value:
        return ""
    User._meta.get_field("phone").run_validators(value)
    return value


def clean_email(text: str) -> str:
    """A typed e-mail address as stored (domain lower-cased), "" for none."""
    value = (text or "").strip()
    if not value:
        return ""
    if len(value) > User._meta.get_field("email").max_length:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid_email")
    validate_email(value)
    return User.objects.normalize_email(value)


def change_contact(actor, user, *, email: str, phone: str):
    """Change a person's e-mail and phone (their own, or anyone's for a site administrator);
    audited with which fields changed, never their values (the audit log is widely read)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to change your contact details."))
    if actor.pk != user.pk and not actor.has_perm("communities.change_user"):
        raise PermissionDenied(_("You may change only your own contact details."))
    email, phone = clean_email(email), clean_phone(phone)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changed = [
            field
            for field, value in (("email", email), ("phone", phone))
            if getattr(locked, field) != value
        ]
        if changed:
            locked.email, locked.phone = email, phone
            locked.save(update_fields=changed)
            audit.record(actor, "user.contact_changed", locked, data={"fields": changed})
    user.email, user.phone = email, phone
    return changed


def email_of(user) -> str:
    """The person's e-mail address, or "" when they gave none."""
    return (getattr(user, "email", "") or "").strip()

"""The answer to a login refused by django-axes (settings.AXES_LOCKOUT_CALLABLE): the same login
form, the site's or the admin's, with the reason and when to try again in the reader's language,
and 429 Too Many Requests."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def lockout_message() -> str:
    """Why the login was refused and how long until it may be tried again."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext(
        "Too many failed sign-in attempts. Signing in is paused for %(minutes)d minute; "
        "please try again later.",
        "Too many failed sign-in attempts. Signing in is paused for %(minutes)d minutes; "
        "please try again later.",
        minutes,
    ) % {"minutes": minutes}


class _Refused:
    """A login form that refuses without asking for the password again: a locked-out attempt
    must neither check the password nor count as one more failure."""

    def clean(self):
        raise ValidationError(lockout_message(), code="locked_out")


class LockedOutForm(_Refused, AuthenticationForm):
    pass


class AdminLockedOutForm(_Refused, AdminAuthenticationForm):
    pass


def _admin_login_view(request):
    # The context admin.site.login gives its template.
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=admin.site.name)
    request.current_app = admin.site.name
    return LoginView.as_view(
        authentication_form=AdminLockedOutForm,
        template_name="admin/login.html",
        extra_context=context,
    )


def lockout_response(request, *args, **kwargs):
    """The login page again, refusing with the lockout message (django-axes' lockout hook)."""
    if request.path == reverse("admin:login"):
        view = _admin_login_view(request)
    else:
        view = LoginView.as_view(authentication_form=LockedOutForm)
    response = view(request)
    # Middleware answers are not rendered for us, unlike a view's.
    if hasattr(response, "render"):
        response.render()
    response.status_code = 429
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response

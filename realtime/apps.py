from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"
    verbose_name = _("Live sessions")

    def ready(self):
        # Domain events reach browsers through this app; the domain never imports it.
        from realtime import listeners  # noqa: F401

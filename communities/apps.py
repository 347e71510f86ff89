from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"
    verbose_name = _("Communities")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from communities import events

        # Logging out ends the live sockets that session opened (communities.events).
        user_logged_out.connect(events.session_ended, dispatch_uid="communities.session_ended")

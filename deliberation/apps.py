from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self):
        from communities.events import membership_decided
        from deliberation.services.notices import tell_resident_decided

        # A verified or rejected resident is told (communities cannot import the notices).
        membership_decided.connect(tell_resident_decided, dispatch_uid="deliberation.decided")

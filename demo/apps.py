from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo community and its stories (`manage.py seed_demo`), above every other app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = _("Demo")

"""Building heads (楼长): a person appointed by the residents' committee for one building of an
estate, who knocks on its doors (扫楼). Appointed and ended only through
`communities.building_head_services`, each with its audit event.

A building is a `Unit.building` code within an estate; there is no building row to point at,
so the appointment names the estate and the code, and the building must hold units.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class BuildingHeadQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class BuildingHead(models.Model):
    """A building head (楼长): one person for one building of an estate, while not ended."""

    estate = models.ForeignKey(
        "communities.Estate",
        models.PROTECT,
        related_name="building_heads",
        verbose_name=gettext_lazy("estate"),
    )
    building = models.CharField(gettext_lazy("building"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="buildings_headed",
        verbose_name=gettext_lazy("building head"),
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=gettext_lazy("appointed by"),
    )
    started_at = models.DateTimeField(gettext_lazy("since"), default=timezone.now)
    ended_at = models.DateTimeField(gettext_lazy("ended"), null=True, blank=True)

    objects = BuildingHeadQuerySet.as_manager()

    class Meta:
        app_label = "communities"
        verbose_name = gettext_lazy("building head (楼长)")
        verbose_name_plural = gettext_lazy("building heads (楼长)")
        ordering = ["estate_id", "building", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "building", "user"],
                condition=Q(ended_at__isnull=True),
                name="building_head_once_per_building",
            )
        ]

    def __str__(self):
        return f"{self.estate} {self.building} · {self.user}"

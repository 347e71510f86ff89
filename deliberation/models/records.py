"""What follows a decision, and who hears of it: resolutions and their implementation updates,
escalations to the street and district, reception sessions and their ratings, notifications.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Organization
from deliberation.models.matters import Matter, NeverDeleted, NeverDeletedQuerySet
from deliberation.models.polls import Poll

USER = settings.AUTH_USER_MODEL


class Resolution(NeverDeleted):
    """决议: a numbered decision, published by the body the procedure names, never deleted."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("not started")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    community = models.ForeignKey(Community, models.PROTECT, related_name="resolutions")
    matter = models.OneToOneField(Matter, models.PROTECT, related_name="resolution")
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="+", null=True, blank=True)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    reference = models.CharField(_("number"), max_length=32, unique=True)
    text = models.TextField(_("text"), max_length=20000)
    text_html = models.TextField(editable=False)
    published_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    issuing_body = models.ForeignKey(
        Organization, models.PROTECT, related_name="resolutions", verbose_name=_("issued by")
    )
    # The 1-year limit to sue for revocation runs from here (SPC interpretation Art. 12).
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    status = models.CharField(
        _("implementation"), max_length=16, choices=Status, default=Status.PLANNED
    )

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "number"], name="resolution_number_unique"
            )
        ]

    def __str__(self):
        return self.reference


class ImplementationUpdate(models.Model):
    """实施结果公开: a published report on carrying out a resolution."""

    resolution = models.ForeignKey(Resolution, models.PROTECT, related_name="updates")
    text = models.TextField(_("update"), max_length=10000)
    text_html = models.TextField(editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Resolution.Status)
    author = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.resolution.reference


class Escalation(models.Model):
    """A matter sent up a level (community → street → district), answered by its deadline."""

    class Level(models.TextChoices):
        STREET = "street", _("street (街道)")
        DISTRICT = "district", _("district (区)")

    matter = models.ForeignKey(Matter, models.PROTECT, related_name="escalations")
    level = models.CharField(_("level"), max_length=16, choices=Level)
    to_organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="escalations", verbose_name=_("sent to")
    )
    reason = models.TextField(_("reason"), max_length=5000)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days, 宽限期)"), default=0, validators=[MaxValueValidator(60)]
    )
    deadline = models.DateTimeField(_("answer due"))
    raised_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(_("response"), blank=True, max_length=10000)
    answered_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["raised_at", "id"]

    def __str__(self):
        return f"{self.matter.reference} → {self.to_organization.name}"

    def is_overdue(self, now=None) -> bool:
        return self.answered_at is None and (now or timezone.now()) > self.deadline


class ReceptionSession(models.Model):
    """接访: officials and deputies receive residents; residents rate the session."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="receptions")
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=120)
    hosts = models.CharField(
        _("received by"),
        max_length=300,
        help_text=_("The officials and deputies who received residents, with their roles."),
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("reception session")
        verbose_name_plural = _("reception sessions")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.held_on} {self.place}"


class ReceptionRating(models.Model):
    session = models.ForeignKey(ReceptionSession, models.PROTECT, related_name="ratings")
    resident = models.ForeignKey(USER, models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "resident"], name="rating_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.session_id}: {self.score}"


class Notification(models.Model):
    """An in-app notice; its text is rendered in the reader's language from kind and data."""

    recipient = models.ForeignKey(USER, models.CASCADE, related_name="notifications")
    matter = models.ForeignKey(Matter, models.PROTECT, related_name="+", null=True, blank=True)
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"


class Delivery(models.Model):
    """投递记录: how one notice reached (or failed to reach) its recipient on one channel; the
    proof that a notice reached each owner. One row per notice and channel."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in the app")
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")
        PAPER = "paper", _("on paper")

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("delivery state", "queued")
        SENT = "sent", pgettext_lazy("delivery state", "sent")
        FAILED = "failed", pgettext_lazy("delivery state", "failed")
        READ = "read", pgettext_lazy("delivery state", "read")

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    state = models.CharField(
        pgettext_lazy("delivery", "state"), max_length=8, choices=State, default=State.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Paper: the staff member who recorded it, and how it was delivered (e.g. by the 楼长).
    recorded_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["notification_id", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            )
        ]
        indexes = [models.Index(fields=["channel", "state"])]

    def __str__(self):
        return f"{self.channel} {self.state} for notice {self.notification_id}"

"""The register's other ways in: written ballots entered by scrutineers (named ones one by one,
secret ones as a counted box), and proxies (委托). Whatever the way, a ballot ends as one `Ballot`
or `VoterReceipt` row of its slot, so a voter has exactly one counted ballot
(`deliberation.services.register`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Attachment, Community, Unit
from deliberation.models.meetings import Meeting
from deliberation.models.polls import Ballot, Poll

USER = settings.AUTH_USER_MODEL


class Scrutineer(models.Model):
    """计票人: a person the responsible body appointed to enter one poll's written ballots."""

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="scrutineers")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("scrutineer"))
    appointed_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scrutineer")
        verbose_name_plural = _("scrutineers")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user"],
                condition=Q(ended_at__isnull=True),
                name="scrutineer_once_per_poll",
            )
        ]

    def __str__(self):
        return f"scrutineer {self.user_id} of poll {self.poll_id}"


class PaperBallot(models.Model):
    """A named written ballot as one scrutineer entered it. It counts only once a second
    scrutineer, entering the same paper on their own, confirms it (four eyes): then its `Ballot`
    is written. Until then it is pending, and no other way of voting is open to its voter."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting a second scrutineer")
        COUNTED = "counted", _("counted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="paper_ballots")
    voter = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("voter"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", null=True, blank=True)
    choices = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    entered_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ballot = models.OneToOneField(
        Ballot, models.PROTECT, related_name="paper", null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("written ballot")
        verbose_name_plural = _("written ballots")
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "voter"],
                condition=Q(status="pending"),
                name="paper_ballot_one_pending_per_voter",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("entered_by")),
                name="paper_ballot_four_eyes",
            ),
        ]

    def __str__(self):
        return f"written ballot {self.pk} in poll {self.poll_id}"


class PaperBox(models.Model):
    """A ballot box of a secret poll, counted: its totals (sealed until the second scrutineer's
    own count matches, then put in the poll's urn) and nothing about who cast what. Who took
    part is recorded apart, as paper receipts, when each voter takes a ballot at the box."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting a second scrutineer")
        COUNTED = "counted", _("counted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="paper_boxes")
    label = models.CharField(_("ballot box"), max_length=60)
    # The first count, sealed under the site's key like the urn (its totals are a part of the
    # result, hidden until close); the heads are the number of ballots in the box.
    sealed = models.TextField()
    heads = models.PositiveIntegerField(_("ballots in the box"))
    # The box's whole area (owners), never per choice: it is the area of the voters recorded at
    # the box, which the receipts already show, and it keeps the boxes within them.
    area = models.DecimalField(
        _("area of the ballots in the box (m²)"), max_digits=14, decimal_places=2, default=0
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    entered_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "label"],
                condition=~Q(status="withdrawn"),
                name="paper_box_label_once",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("entered_by")),
                name="paper_box_four_eyes",
            ),
        ]

    def __str__(self):
        return f"ballot box {self.label} of poll {self.poll_id}"


class Proxy(models.Model):
    """委托: an owner or resident authorises another person to vote for them in one poll, or in
    the polls of one meeting, on a written authorisation (an uploaded image or PDF)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in force")
        USED = "used", _("voted")
        REVOKED = "revoked", _("revoked")
        LAPSED = "lapsed", _("lapsed: the voter voted themselves")

    community = models.ForeignKey(Community, models.PROTECT, related_name="+")
    principal = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("authorised by")
    )
    holder = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("proxy"))
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="proxies", null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting, models.PROTECT, related_name="proxies", null=True, blank=True
    )
    document = models.ForeignKey(
        Attachment, models.PROTECT, related_name="+", verbose_name=_("written authorisation")
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(poll__isnull=False, meeting__isnull=True)
                | Q(poll__isnull=True, meeting__isnull=False),
                name="proxy_for_one_poll_or_meeting",
            ),
            models.CheckConstraint(
                condition=~Q(principal=models.F("holder")), name="proxy_not_oneself"
            ),
            models.UniqueConstraint(
                fields=["principal", "poll"],
                condition=Q(status="active", poll__isnull=False),
                name="proxy_one_active_per_poll",
            ),
            models.UniqueConstraint(
                fields=["principal", "meeting"],
                condition=Q(status="active", meeting__isnull=False),
                name="proxy_one_active_per_meeting",
            ),
        ]

    def __str__(self):
        return f"proxy {self.pk}: {self.holder_id} for {self.principal_id}"

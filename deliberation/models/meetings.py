"""Meetings (会议): live sessions in the browser, with their agenda, attendance, speakers, chat,
numbered event log and minutes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Estate, insider_q
from deliberation import order
from deliberation.models.matters import Matter

USER = settings.AUTH_USER_MODEL


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user, community=None):
        """The meetings `user` may see: public ones for anyone; the others for the community's
        insiders (`communities.models.insider_q`, as for matters) and the meeting's chair.

        The one definition of meeting visibility: the list, the room, the projector, the minutes
        and the socket all ask it (`access.may_see_meeting`, `access.get_meeting_for`).
        """
        qs = self if community is None else self.filter(community=community)
        if not user.is_authenticated or not user.is_active:
            return qs.filter(public=True)
        if user.is_superuser:
            return qs
        return qs.filter(Q(public=True) | Q(chair=user) | insider_q(user))


class Meeting(models.Model):
    """A council session or assembly that runs live: agenda, speakers, chat, votes, minutes."""

    class Kind(models.TextChoices):
        COUNCIL = "council", _("deliberation council (居民议事会)")
        RESIDENTS = "residents", _("residents' meeting (居民会议)")
        REPRESENTATIVES = "representatives", _("residents' representatives' meeting (居民代表会议)")
        JOINT = "joint", _("joint party–community meeting (党群共治会议)")
        OWNERS = "owners", _("owners' assembly (业主大会)")
        REVIEW = "review", _("residents' evaluation meeting (居民评议会)")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("meeting status", "scheduled")
        LIVE = "live", pgettext_lazy("meeting status", "live")
        ADJOURNED = "adjourned", pgettext_lazy("meeting status", "adjourned")
        ENDED = "ended", pgettext_lazy("meeting status", "ended")

    community = models.ForeignKey(Community, models.PROTECT, related_name="meetings")
    title = models.CharField(pgettext_lazy("meeting", "title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    estate = models.ForeignKey(Estate, models.PROTECT, related_name="+", null=True, blank=True)
    chair = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("chair"))
    scheduled_at = models.DateTimeField(_("scheduled for"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    public = models.BooleanField(_("open to the public"), default=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.SCHEDULED)
    # Rules of order (deliberation.order.RulesOfOrder as JSON), set per meeting.
    rules = models.JSONField(_("rules of order"), default=dict, blank=True)
    current_item = models.ForeignKey(
        "AgendaItem", models.PROTECT, related_name="+", null=True, blank=True
    )
    # The last event number handed out; events are numbered 1, 2, 3... per meeting.
    seq = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("deliberation:meeting", args=[self.pk])

    @property
    def rules_of_order(self) -> order.RulesOfOrder:
        """The meeting's rules of order, with the defaults for anything it does not set."""
        return order.RulesOfOrder.from_json(self.rules)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("agenda item"), max_length=200)
    matter = models.ForeignKey(
        Matter, models.PROTECT, related_name="agenda_items", null=True, blank=True
    )
    # The chair may hand the chair to someone else for one item.
    acting_chair = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position", "id"]

    def __str__(self):
        return self.title


class Attendance(models.Model):
    """One stay in the room: joined, and left (open while present). Drives presence and quorum."""

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="attendance")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    connections = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(left_at__isnull=True),
                name="attendance_one_open_stay",
            )
        ]

    def __str__(self):
        return f"{self.user_id} in {self.meeting_id}"


class CheckIn(models.Model):
    """签到: an invitee checked in at the door by staff scanning their code. Counts towards
    presence and quorum like an open stay (once per person, however they are present); undone
    by staff with a reason, which keeps the row (undone_at) and lets them check in again."""

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="check_ins")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    undo_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(undone_at__isnull=True),
                name="checkin_once_per_person",
            )
        ]

    def __str__(self):
        return f"{self.user_id} checked in to {self.meeting_id}"


class SpeakerRequest(models.Model):
    """A raised hand, and the speech if the chair grants the floor."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SPEAKING = "speaking", _("speaking")
        DONE = "done", _("spoke")
        LOWERED = "lowered", _("lowered")

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="hands")
    item = models.ForeignKey(AgendaItem, models.PROTECT, related_name="hands")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    side = models.CharField(max_length=8)
    raised_seq = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=Status, default=Status.WAITING)
    granted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(status__in=["waiting", "speaking"]),
                name="hand_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["meeting"], condition=Q(status="speaking"), name="hand_one_speaker"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} ({self.side})"


class ChatMessage(models.Model):
    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="chat")
    item = models.ForeignKey(AgendaItem, models.PROTECT, related_name="+", null=True, blank=True)
    author = models.ForeignKey(USER, models.PROTECT, related_name="+")
    text = models.CharField(max_length=2000)
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"chat {self.pk} in {self.meeting_id}"


class MeetingEvent(models.Model):
    """The meeting's durable event log: what clients replay on resume, and minutes are made of."""

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    audience = models.CharField(max_length=32, default="all")  # "all", "chair" or "user:<id>"
    actor = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seq"], name="meeting_event_seq_unique")
        ]

    def __str__(self):
        return f"{self.meeting_id}#{self.seq} {self.kind}"


class Minutes(models.Model):
    """会议纪要: generated from the event log, edited by the residents' committee, published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    meeting = models.OneToOneField(Meeting, models.PROTECT, related_name="minutes")
    text = models.TextField(_("minutes"), max_length=50000)
    text_html = models.TextField(editable=False)  # rendered when the text is written
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    generated_at = models.DateTimeField(default=timezone.now)
    edited_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self):
        return f"minutes of {self.meeting_id}"

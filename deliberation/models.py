"""What is decided, and how: matters, discussion, polls and ballots, resolutions, escalations.

Nothing here is ever deleted: matters end decided, rejected, withdrawn or merged; comments are
hidden with a reason; stances, edits and ballots keep their history. Services in
`deliberation/services.py` are the only writers.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Estate, Organization
from deliberation import procedures
from deliberation.rules import PollKind, Rule

USER = settings.AUTH_USER_MODEL


class Category(models.TextChoices):
    ENVIRONMENT = "environment", _("environment and sanitation")
    SAFETY = "safety", _("safety and order")
    PROPERTY = "property", _("property and buildings")
    FACILITIES = "facilities", _("public facilities")
    SERVICES = "services", _("services for the elderly and children")
    CULTURE = "culture", _("culture and activities")
    OTHER = "other", _("other")


class ConcernKind(models.TextChoices):
    """接诉即办 categories, each with its own deadline in the community's settings."""

    URGENT = "urgent", _("urgent")
    ENQUIRY = "enquiry", _("enquiry")
    COMPLAINT = "complaint", _("complaint")


class ProjectType(models.TextChoices):
    """民生微实事 project types, each with its own budget cap (domain-rules §6)."""

    SERVICE = "service", _("service")
    GOODS = "goods", _("goods")
    WORKS = "works", _("works")


class NeverDeletedQuerySet(models.QuerySet):
    """Matters and resolutions end with a reason; they are never deleted (domain-rules §7)."""

    def delete(self):
        raise TypeError("Matters and resolutions are never deleted; close them with a reason.")


class NeverDeleted(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise TypeError("Matters and resolutions are never deleted; close them with a reason.")


class MatterQuerySet(NeverDeletedQuerySet):
    def visible_to(self, user, community=None):
        """The matters `user` may read: public ones, plus all of a community they belong to.

        The one definition of matter visibility; `access.get_matter_for` uses it too.
        """
        qs = self if community is None else self.filter(community=community)
        if user.is_authenticated and user.is_superuser:
            return qs
        public = Q(visibility=Matter.Visibility.PUBLIC)
        if not user.is_authenticated:
            return qs.filter(public)
        insider = Q(community__memberships__user=user, community__memberships__status="verified")
        official = Q(community__organizations__positions__user=user) & Q(
            community__organizations__positions__ended_at__isnull=True
        )
        own = Q(proposer=user)
        return qs.filter(public | own | insider | official).distinct()

    def open(self):
        return self.filter(status=Matter.Status.OPEN)


class Matter(NeverDeleted):
    """议题: one community matter, carried through a procedure from proposal to its result."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DECIDED = "decided", pgettext_lazy("matter status", "decided")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        MERGED = "merged", _("merged")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        MEMBERS = "members", _("members of the community")

    community = models.ForeignKey(
        Community, models.PROTECT, related_name="matters", verbose_name=_("community")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    title = models.CharField(pgettext_lazy("matter", "title"), max_length=120)
    body = models.TextField(_("description"), max_length=20000)
    category = models.CharField(_("category"), max_length=16, choices=Category)
    procedure = models.CharField(
        _("procedure"), max_length=32, choices=procedures.PROCEDURE_CHOICES
    )
    stage = models.CharField(_("stage"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility, default=Visibility.PUBLIC
    )
    proposer = models.ForeignKey(
        USER, models.PROTECT, related_name="proposed_matters", verbose_name=_("proposer")
    )
    on_behalf_of = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("on behalf of"),
    )
    stakeholders = models.ManyToManyField(
        Organization, related_name="matters", blank=True, verbose_name=_("stakeholders")
    )
    estate = models.ForeignKey(
        Estate,
        models.PROTECT,
        related_name="matters",
        null=True,
        blank=True,
        verbose_name=_("estate"),
    )
    # 首接负责: the body that received a concern first stays responsible for it.
    first_body = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("responsible body"),
    )
    concern_kind = models.CharField(
        _("kind of concern"), max_length=16, choices=ConcernKind, blank=True
    )
    project_type = models.CharField(
        _("project type"), max_length=16, choices=ProjectType, blank=True
    )
    budget = models.DecimalField(
        _("budget (¥)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    stage_started_at = models.DateTimeField(_("stage started"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    deadline_is_minimum = models.BooleanField(default=False)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        related_name="merged_matters",
        null=True,
        blank=True,
        verbose_name=_("merged into"),
    )
    closing_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = MatterQuerySet.as_manager()

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "number"], name="matter_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="matter_merged_has_target",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("deliberation:matter", args=[self.community.slug, self.reference])

    @property
    def procedure_spec(self) -> procedures.Procedure:
        return procedures.get(self.procedure)

    @property
    def stage_spec(self) -> procedures.Stage:
        return self.procedure_spec.stage(self.stage)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def in_progress(self) -> bool:
        """Open, or decided with its implementation not yet closed."""
        return self.closed_at is None and self.status in (self.Status.OPEN, self.Status.DECIDED)


class Transition(models.Model):
    """One step of a matter's timeline: stage changes, endings, extensions."""

    matter = models.ForeignKey(
        Matter, models.PROTECT, related_name="transitions", verbose_name=_("matter")
    )
    action = models.CharField(_("action"), max_length=32)
    from_stage = models.CharField(_("from stage"), max_length=32, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=32, blank=True)
    actor = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("by"))
    as_organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.matter_id}: {self.action}"


class Comment(models.Model):
    """A threaded remark on a matter; hidden, never deleted; edits keep their history."""

    matter = models.ForeignKey(
        Matter, models.PROTECT, related_name="comments", verbose_name=_("matter")
    )
    parent = models.ForeignKey(
        "self", models.PROTECT, related_name="replies", null=True, blank=True
    )
    author = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("author"))
    as_organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("speaking as"),
    )
    body = models.TextField(_("comment"), max_length=5000)
    body_html = models.TextField(editable=False)
    # 公示 objections: the responsible body must answer by the deadline.
    is_objection = models.BooleanField(_("objection"), default=False)
    answer_due = models.DateTimeField(_("answer due"), null=True, blank=True)
    answered_by = models.OneToOneField(
        "self", models.PROTECT, related_name="answers", null=True, blank=True
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="comment_hidden_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.matter.reference} #{self.pk}"

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    def objection_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.is_objection
            and self.answered_by_id is None
            and self.answer_due
            and now > self.answer_due
        )


class CommentRevision(models.Model):
    """The text a comment had before an edit."""

    comment = models.ForeignKey(Comment, models.PROTECT, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self):
        return f"revision of comment {self.comment_id}"


class Stance(models.Model):
    """One organisation's formal position on a matter; a new stance supersedes, never replaces."""

    class Position(models.TextChoices):
        SUPPORT = "support", _("support")
        OPPOSE = "oppose", _("oppose")
        CONDITIONAL = "conditional", _("support with conditions")
        ABSTAIN = "abstain", _("abstain")

    matter = models.ForeignKey(Matter, models.PROTECT, related_name="stances")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="stances", verbose_name=_("organisation")
    )
    position = models.CharField(_("position"), max_length=16, choices=Position)
    statement = models.TextField(_("statement"), max_length=5000)
    author = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("stated"), default=timezone.now)

    class Meta:
        verbose_name = _("stance")
        verbose_name_plural = _("stances")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.organization.name  # the audit trail names the body; the position is in data


class Electorate(models.TextChoices):
    RESIDENTS = "residents", _("verified residents")
    HOUSEHOLDS = "households", _("households (one vote each)")
    OWNERS = "owners", _("owners of the estate")
    BODY = "body", _("members of a body")
    ORGANIZATIONS = "organizations", _("one vote per organisation")


class Poll(models.Model):
    """A question put to an electorate and decided by a rule; frozen at close."""

    class Kind(models.TextChoices):
        YES_NO_ABSTAIN = PollKind.YES_NO_ABSTAIN, _("yes / no / abstain")
        SINGLE = PollKind.SINGLE, _("single choice")
        MULTIPLE = PollKind.MULTIPLE, _("multiple choice")

    class RuleChoice(models.TextChoices):
        SIMPLE_MAJORITY = Rule.SIMPLE_MAJORITY, _("simple majority")
        ABSOLUTE_MAJORITY = Rule.ABSOLUTE_MAJORITY, _("absolute majority of the electorate")
        TWO_THIRDS = Rule.TWO_THIRDS, _("two-thirds")
        RESIDENTS_MEETING = Rule.RESIDENTS_MEETING, _("residents' meeting")
        OWNERS_ORDINARY = Rule.OWNERS_ORDINARY, _("owners, ordinary matter (Art. 278)")
        OWNERS_SPECIAL = Rule.OWNERS_SPECIAL, _("owners, special matter (Art. 278)")
        COUNCIL = Rule.COUNCIL, _("council")

    class Status(models.TextChoices):
        DRAFT = "draft", _("on the agenda, not yet open")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    community = models.ForeignKey(Community, models.PROTECT, related_name="polls")
    matter = models.ForeignKey(Matter, models.PROTECT, related_name="polls", null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=32, blank=True)
    # Set for a poll opened live in a meeting, on that agenda item.
    agenda_item = models.ForeignKey(
        "AgendaItem", models.PROTECT, related_name="polls", null=True, blank=True
    )
    question = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    max_choices = models.PositiveSmallIntegerField(_("most choices per ballot"), default=1)
    electorate = models.CharField(_("electorate"), max_length=16, choices=Electorate)
    estate = models.ForeignKey(Estate, models.PROTECT, related_name="+", null=True, blank=True)
    body = models.ForeignKey(Organization, models.PROTECT, related_name="+", null=True, blank=True)
    rule = models.CharField(_("rule"), max_length=32, choices=RuleChoice)
    params = models.JSONField(default=dict, blank=True)
    # Art. 278 item number (1–9) for owners' polls: it decides ordinary or special.
    law_item = models.PositiveSmallIntegerField(_("Art. 278 item"), null=True, blank=True)
    secret = models.BooleanField(_("secret ballot"), default=False)
    results_hidden = models.BooleanField(_("hide results until close"), default=False)
    allow_change = models.BooleanField(_("voters may change their vote"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The base frozen when the poll opens, so later register changes cannot move the goalposts.
    electorate_heads = models.PositiveIntegerField(null=True, blank=True)
    electorate_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(secret=True, allow_change=True), name="poll_secret_no_change"
            ),
            models.CheckConstraint(
                condition=Q(status="closed", result__isnull=False)
                | (~Q(status="closed") & Q(result__isnull=True)),
                name="poll_result_iff_closed",
            ),
        ]

    def __str__(self):
        return self.question

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED


CHOICE_LABELS = {"yes": _("yes"), "no": _("no"), "abstain": _("abstain")}

# The sources of the rules (rules.RULE_SOURCES, kept in a poll's frozen result as the law names
# itself), in the reader's language. A source missing here is shown as it was recorded.
LAW_NAMES = {
    "南塘议事规则 / 社区议事会模板": _(
        "Nantang rules of deliberation / community council template"
    ),
    "《城市居民委员会组织法》(2018) 第九、十条": _(
        "Organic Law of the Urban Residents' Committees (2018), Articles 9 and 10"
    ),
    "《民法典》第二百七十八条": _("Civil Code, Article 278"),
}


class Choice(models.Model):
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="choices")
    code = models.CharField(max_length=16)  # "yes"/"no"/"abstain", or "c1", "c2", ...
    label = models.CharField(_("choice"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["poll", "code"], name="choice_code_unique")]

    def __str__(self):
        return self.label

    @property
    def display(self) -> str:
        """The label in the reader's language; yes/no/abstain are translated, others as typed."""
        return str(CHOICE_LABELS.get(self.code, self.label))


class Ballot(models.Model):
    """A named ballot: one per voting slot (a voter, a household, a unit or an organisation)."""

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(USER, models.PROTECT, related_name="+")
    slot = models.CharField(max_length=64)  # "user:5", "household:…", "unit:12", "org:3"
    head = models.CharField(max_length=64)  # headcount identity; an owner's units share one
    choices = models.JSONField(default=list)
    weight = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "slot"], name="ballot_one_per_slot")]

    def __str__(self):
        return f"ballot {self.poll_id}/{self.slot}"


class VoterReceipt(models.Model):
    """Who took part in a secret poll, and nothing about what they chose."""

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="receipts")
    voter = models.ForeignKey(USER, models.PROTECT, related_name="+")
    slot = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "slot"], name="receipt_one_per_slot")
        ]

    def __str__(self):
        return f"receipt {self.poll_id}/{self.slot}"


def _random_key() -> int:
    # A random primary key: SQLite stores rows in key order, so insertion order is not kept.
    return secrets.randbelow(2**62) + 1


class SealedBallot(models.Model):
    """A secret ballot while its poll is open: ciphertext only (see `deliberation.sealing`)."""

    id = models.BigAutoField(primary_key=True, default=_random_key, editable=False)
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="sealed_ballots")
    sealed = models.TextField()

    def __str__(self):
        return f"sealed ballot in poll {self.poll_id}"


class SecretBallot(models.Model):
    """What was chosen in a secret poll: no voter, no time, no order in common with receipts."""

    id = models.BigAutoField(primary_key=True, default=_random_key, editable=False)
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="secret_ballots")
    choices = models.JSONField(default=list)
    weight = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    def __str__(self):
        return f"secret ballot in poll {self.poll_id}"


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


# ---------------------------------------------------------------------------------------------
# Meetings (会议): live sessions in the browser


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

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("deliberation:meeting", args=[self.pk])


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

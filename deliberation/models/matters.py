"""Matters (议题) and their discussion: the matter itself, its stage transitions, comments and
their revisions, and the formal positions of organisations.

Nothing here is ever deleted: matters end decided, rejected, withdrawn or merged; comments are
hidden with a reason; stances and edits keep their history.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Estate, Organization, insider_q
from deliberation import procedures

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
        """The matters `user` may read: public ones, their own, and all of a community they
        belong to (`communities.models.insider_q`, as for meetings).

        The one definition of matter visibility; `access.get_matter_for` uses it too.
        """
        qs = self if community is None else self.filter(community=community)
        if user.is_authenticated and user.is_superuser:
            return qs
        public = Q(visibility=Matter.Visibility.PUBLIC)
        if not user.is_authenticated:
            return qs.filter(public)
        return qs.filter(public | Q(proposer=user) | insider_q(user))

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

    EXCERPT_CHARS = 200  # the plain-text summary the ledger's CSV carries

    community = models.ForeignKey(
        Community, models.PROTECT, related_name="matters", verbose_name=_("community")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    title = models.CharField(pgettext_lazy("matter", "title"), max_length=120)
    body = models.TextField(_("description"), max_length=20000)
    # Rendered once, when the body is written (services.propose_matter): pages and the CSV read
    # these and never render Markdown per request.
    body_html = models.TextField(editable=False)
    excerpt = models.CharField(max_length=EXCERPT_CHARS, editable=False)
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

"""Who is who: communities, estates, units and their owners, organisations and their people."""

from decimal import Decimal

from django.conf import settings
from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from communities import addresses, names
from communities.attachments import Attachment  # noqa: F401 - a module of its own
from communities.building_heads import BuildingHead  # noqa: F401 - a module of its own
from communities.names import UsernameScriptValidator
from communities.roles import OrganizationKind, Title, is_valid_title


class User(AbstractUser):
    """A person with a login; Chinese names do not split into first and last, so one field.

    What a username and a display name may hold is `communities.names`; who is an official is
    never read from either, only from positions (`communities.badges`).
    """

    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_(
            "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only; "
            "letters of one script (Chinese characters may go with Latin letters)."
        ),
        validators=[UnicodeUsernameValidator(), UsernameScriptValidator()],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    display_name = models.CharField(
        _("full name"),
        max_length=names.DISPLAY_NAME_MAX,
        blank=True,
        validators=[names.validate_display_name],
    )
    # Optional, for notices by SMS; read it through `communities.contact.phone_of`, the one
    # place that knows where a person's phone number is kept.
    phone = models.CharField(
        _("mobile phone"),
        max_length=11,
        blank=True,
        validators=[
            RegexValidator(
                r"^1[3-9][0-9]{9}\Z",
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678."),
                code="invalid_phone",
            )
        ],
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        super().clean()
        try:
            self.display_name = names.clean_display_name(self.display_name)
        except ValidationError as error:
            raise ValidationError({"display_name": error.error_list}) from None


class Community(models.Model):
    """社区: the urban community that every body, estate and matter belongs to."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    code = models.CharField(
        _("reference code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", _("Use 2 to 8 capital letters."))],
        help_text=_("Prefix of matter reference numbers, e.g. LH for LH-2026-0007."),
    )
    street = models.CharField(_("street (街道)"), max_length=100)
    district = models.CharField(_("district (区)"), max_length=100)
    city = models.CharField(_("city"), max_length=100, default="深圳市")
    # Thresholds, deadlines and budget caps that domain-rules.md calls configurable defaults.
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        permissions = [
            ("propose_matter", "Can propose matters in the community"),
            ("comment", "Can comment on the community's matters"),
            ("vote", "Can vote in the community's residents' polls"),
            ("chair_meeting", "Can chair the community's meetings"),
            ("publish_resolution", "Can publish resolutions and their results"),
            ("moderate", "Can moderate discussion"),
            ("verify_resident", "Can verify residents"),
            ("view_residents", "Can see residents' names"),
            ("manage_register", "Can keep the unit and ownership register"),
            ("escalate", "Can escalate matters to the street and district"),
            ("host_reception", "Can hold reception sessions (接访)"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The apps that read these settings check them; communities does not import them.
        for path in getattr(django_settings, "COMMUNITY_SETTINGS_VALIDATORS", []):
            try:
                import_string(path)(self.settings or {})
            except (KeyError, ValueError) as error:
                raise ValidationError(
                    {"settings": _("Invalid setting: %(error)s") % {"error": error}}
                ) from None


class Estate(models.Model):
    """小区 / 物业管理区域: the area whose owners decide jointly under Civil Code Art. 278."""

    community = models.ForeignKey(
        Community, models.PROTECT, related_name="estates", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="estate_unique_name")
        ]
        permissions = [
            ("vote", "Can vote in the estate's owners' decisions"),
            ("propose_matter", "Can propose matters for the estate's owners"),
            ("chair_meeting", "Can convene and chair the owners' assembly"),
        ]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """专有部分: one unit of exclusive property; its area weighs an owner's vote."""

    class AreaSource(models.TextChoices):
        # The SPC interpretation's order of preference: register, then survey, then contract.
        REGISTER = "register", _("property register")
        SURVEY = "survey", _("surveyed area")
        CONTRACT = "contract", _("sale contract")

    estate = models.ForeignKey(
        Estate, models.PROTECT, related_name="units", verbose_name=_("estate")
    )
    building = models.CharField(_("building"), max_length=20)
    number = models.CharField(_("unit number"), max_length=20)
    area = models.DecimalField(
        _("exclusive area (m²)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_source = models.CharField(
        _("area source"), max_length=16, choices=AreaSource, default=AreaSource.REGISTER
    )
    # Unsold or undelivered units; together they count as one owner head (SPC interp. Art. 9).
    developer_held = models.BooleanField(_("held by the developer"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["estate", "building", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "building", "number"], name="unit_unique_number"
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
        ]

    def __str__(self):
        return f"{self.estate} {self.building}-{self.number}"

    @property
    def label(self) -> str:
        """The unit as the queue shows it (莲花一村·1-0301), which `addresses.match` reads back."""
        return addresses.label(self.estate.name, self.building, self.number)


class OwnershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class Ownership(models.Model):
    """A person's ownership of a unit; co-owners designate one of them to cast the unit's vote."""

    unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="ownerships", verbose_name=_("unit")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="ownerships",
        verbose_name=_("owner"),
    )
    is_voter = models.BooleanField(_("casts the unit's vote"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recorded by"),
    )
    started_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["unit_id", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "owner"],
                condition=Q(ended_at__isnull=True),
                name="ownership_unique_current_owner",
            ),
            # Co-owners of one unit share one vote (domain-rules §1).
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(ended_at__isnull=True, is_voter=True),
                name="ownership_one_voter_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.owner} — {self.unit}"


# One of each per community; one of each per estate (DESIGN.md, domain model).
COMMUNITY_SINGLETON_KINDS = (
    OrganizationKind.PARTY_COMMITTEE,
    OrganizationKind.RESIDENTS_COMMITTEE,
    OrganizationKind.WORKSTATION,
    OrganizationKind.COUNCIL,
    OrganizationKind.STREET_OFFICE,
    OrganizationKind.DISTRICT_OFFICE,
)
ESTATE_KINDS = (OrganizationKind.PROPERTY_MANAGEMENT, OrganizationKind.OWNERS_COMMITTEE)


def _rank(field: str, values: list[str]) -> models.Case:
    """An expression giving each value's position in `values`, for ordering by meaning."""
    return models.Case(
        *[models.When(**{field: value}, then=index) for index, value in enumerate(values)],
        default=len(values),
        output_field=models.IntegerField(),
    )


class OrganizationQuerySet(models.QuerySet):
    def in_display_order(self):
        """The party committee first (the core of 一核多元), then the others as listed in Kind."""
        return self.order_by(_rank("kind", OrganizationKind.values), "name")


class Organization(models.Model):
    """One of the bodies that share a community (一核多元)."""

    Kind = OrganizationKind

    community = models.ForeignKey(
        Community, models.PROTECT, related_name="organizations", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind)
    name = models.CharField(_("name"), max_length=100)
    estate = models.ForeignKey(
        Estate,
        models.PROTECT,
        related_name="organizations",
        null=True,
        blank=True,
        verbose_name=_("estate"),
        help_text=_("Required for property companies and owners' committees, empty otherwise."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["community", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=Q(kind__in=COMMUNITY_SINGLETON_KINDS),
                name="organization_one_per_community",
            ),
            models.UniqueConstraint(
                fields=["estate", "kind"],
                condition=Q(kind__in=ESTATE_KINDS),
                name="organization_one_per_estate",
            ),
            models.UniqueConstraint(fields=["community", "name"], name="organization_unique_name"),
            models.CheckConstraint(
                condition=(Q(kind__in=ESTATE_KINDS) & Q(estate__isnull=False))
                | (~Q(kind__in=ESTATE_KINDS) & Q(estate__isnull=True)),
                name="organization_estate_iff_estate_kind",
            ),
        ]
        permissions = [
            ("manage_organization", "Can appoint and remove the organisation's people"),
            ("speak_for_organization", "Can speak and submit on the organisation's behalf"),
            ("answer_escalation", "Can answer matters escalated to the organisation"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.estate_id and self.community_id and self.estate.community_id != self.community_id:
            raise ValidationError({"estate": _("The estate must belong to the same community.")})


class MembershipQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Membership.Status.VERIFIED)

    def pending(self):
        return self.filter(status=Membership.Status.PENDING)


class Membership(models.Model):
    """A resident's place in a community, which staff verify before it carries any rights."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting verification")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("not verified")
        LEFT = "left", _("left")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    community = models.ForeignKey(
        Community, models.PROTECT, related_name="memberships", verbose_name=_("community")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    address = models.CharField(
        _("address in the community"),
        max_length=200,
        blank=True,
        help_text=_("Building and room, so that staff can verify you."),
    )
    # 户: the registered unit the resident lives in, which a households poll counts once. While
    # the request waits it is the unit their address matched, for staff to confirm or correct.
    unit = models.ForeignKey(
        Unit,
        models.PROTECT,
        related_name="residents",
        null=True,
        blank=True,
        verbose_name=_("unit lived in"),
    )
    # When staff confirmed the unit (at verification, or linking it later): a households poll
    # counts only units confirmed before it opened.
    unit_since = models.DateTimeField(_("unit confirmed"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["community", "-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(unit_since__isnull=True) | Q(unit__isnull=False),
                name="membership_unit_since_needs_unit",
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.community}"

    @property
    def is_verified(self):
        return self.status == self.Status.VERIFIED


class PositionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)

    def in_rank_order(self):
        """Heads first, then deputies, then members and staff."""
        return self.order_by(_rank("title", Title.values), "started_at")


class Position(models.Model):
    """A person's title in an organisation; ended positions stay on record."""

    Title = Title

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="positions",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="positions", verbose_name=_("organisation")
    )
    title = models.CharField(_("title"), max_length=32, choices=Title)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("appointed by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organization_id", "title", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(ended_at__isnull=True),
                name="position_one_current_per_organization",
            )
        ]

    def __str__(self):
        return f"{self.user}, {self.get_title_display()}, {self.organization}"

    def clean(self):
        if self.organization_id and not is_valid_title(self.organization.kind, self.title):
            raise ValidationError({"title": _("An organisation of this kind has no such title.")})


class PartyMemberQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class PartyMember(models.Model):
    """One name on the community's roll of party members (党员名册), kept by its party committee.

    The roll is who votes in 四议两公开's party members' review (党员大会审议): the members of
    the party organisation, not the committee's officers (those are `Position`s). Ended entries
    (transferred out, deceased) stay on record."""

    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="party_members",
        verbose_name=_("party organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="party_memberships",
        verbose_name=_("user"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("added by"),
    )
    started_at = models.DateTimeField(_("on the roll since"), auto_now_add=True)
    ended_at = models.DateTimeField(_("left the roll"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["organization_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(ended_at__isnull=True),
                name="party_member_once_on_the_roll",
            )
        ]

    def __str__(self):
        return f"{self.user}, {self.organization}"


def insider_q(user, community: str = "community") -> Q:
    """Rows whose community (reached through the `community` path) counts `user` as an insider:
    a verified resident or a current official. The one definition of "belongs to the community",
    which every visibility rule (matters, meetings) is built from."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    resident = Membership.objects.verified().filter(user=user).values("community_id")
    official = Position.objects.current().filter(user=user).values("organization__community_id")
    return Q(**{f"{community}__in": resident}) | Q(**{f"{community}__in": official})


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEvent(models.Model):
    """审计日志: one row per state change, moderation or permission change; never edited.

    It lives in the lowest app so that every app can write to it. It never holds a secret
    ballot's choice.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("actor"),
    )
    verb = models.CharField(_("verb"), max_length=64)
    community = models.ForeignKey(
        Community,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("community"),
    )
    object_type = models.ForeignKey(
        ContentType, models.PROTECT, null=True, blank=True, verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

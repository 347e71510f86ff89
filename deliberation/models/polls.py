"""Polls and ballots: named ballots, and secret ones (receipts, sealed until close, then shuffled
without a voter).
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Estate, Organization
from deliberation.models.matters import Matter
from deliberation.rules import PollKind, Rule

USER = settings.AUTH_USER_MODEL


class Electorate(models.TextChoices):
    RESIDENTS = "residents", _("verified residents")
    HOUSEHOLDS = "households", _("households (one vote each)")
    OWNERS = "owners", _("owners of the estate")
    BODY = "body", _("members of a body")
    PARTY = "party", _("party members on the roll")
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
    # Announced with the poll (for owners, frozen into the notice): if too few take part, its
    # actor may extend it once, by this many days. 0: the notice allows no extension.
    extension_days = models.PositiveSmallIntegerField(_("extension allowed (days)"), default=0)
    extended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the reminder to those who had not voted went out (once per poll; the tick sends it).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
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
            # A secret poll shows no counts until it closes: per-choice figures that move with
            # each ballot would tell anyone who saw a person vote what they chose.
            models.CheckConstraint(
                condition=~Q(secret=True, results_hidden=False), name="poll_secret_is_hidden"
            ),
            models.CheckConstraint(
                condition=Q(status="closed", result__isnull=False)
                | (~Q(status="closed") & Q(result__isnull=True)),
                name="poll_result_iff_closed",
            ),
        ]

    def __str__(self):
        return self.question

    def clean(self):
        if self.secret and not self.results_hidden:
            raise ValidationError(
                {"results_hidden": _("A secret ballot's results stay hidden until it closes.")}
            )

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


class Channel(models.TextChoices):
    """How a ballot reached the register: one register, one counted ballot per slot, whatever
    the way (domain-rules §1: in person, by written ballot, electronic, or by proxy)."""

    ONLINE = "online", _("online")
    PAPER = "paper", pgettext_lazy("ballot channel", "paper")
    PROXY = "proxy", _("by proxy")


class Ballot(models.Model):
    """A named ballot: one per voting slot (a voter, a household, a unit or an organisation)."""

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(USER, models.PROTECT, related_name="+")
    slot = models.CharField(max_length=64)  # "user:5", "household:…", "unit:12", "org:3"
    head = models.CharField(max_length=64)  # headcount identity; an owner's units share one
    choices = models.JSONField(default=list)
    weight = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    cast_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, choices=Channel, default=Channel.ONLINE)
    # Who put it in the register for the voter: their proxy, or the scrutineer who entered their
    # written ballot (a second one confirmed it: PaperBallot). None: the voter, online.
    cast_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "slot"], name="ballot_one_per_slot")]

    def __str__(self):
        return f"ballot {self.poll_id}/{self.slot}"


class VoterReceipt(models.Model):
    """Who took part in a secret poll, and nothing about what they chose."""

    poll = models.ForeignKey(Poll, models.PROTECT, related_name="receipts")
    voter = models.ForeignKey(USER, models.PROTECT, related_name="+")
    slot = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel, default=Channel.ONLINE)
    cast_by = models.ForeignKey(USER, models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "slot"], name="receipt_one_per_slot")
        ]

    def __str__(self):
        return f"receipt {self.poll_id}/{self.slot}"


def _random_key() -> int:
    # A random primary key: SQLite stores rows in key order, so insertion order is not kept.
    return secrets.randbelow(2**62) + 1


class SealedUrn(models.Model):
    """Every secret ballot of an open poll, in one ciphertext rewritten by each cast (see
    `deliberation.sealing` for why one row, and why fixed-size entries)."""

    poll = models.OneToOneField(Poll, models.PROTECT, primary_key=True, related_name="urn")
    sealed = models.TextField()

    def __str__(self):
        return f"sealed urn of poll {self.poll_id}"


class SecretBallot(models.Model):
    """What was chosen in a secret poll, written shuffled at close: no voter, no time, no weight
    (the area totals are frozen in the poll's result), no order in common with receipts."""

    id = models.BigAutoField(primary_key=True, default=_random_key, editable=False)
    poll = models.ForeignKey(Poll, models.PROTECT, related_name="secret_ballots")
    choices = models.JSONField(default=list)

    def __str__(self):
        return f"secret ballot in poll {self.poll_id}"

"""Procedures as data: each is an ordered list of stages, who acts in each, what they may do there,
and the deadline rule that applies. Services read this table; no stage logic lives elsewhere.

Durations come from community settings (see `rules.DEFAULT_SETTINGS`), never from constants here,
because domain-rules.md makes the template values configurable defaults.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from communities.roles import OrganizationKind as Kind
from deliberation.rules import Rule


@dataclass(frozen=True)
class Actor:
    """Who may act in a stage: a permission on the community, on one body, or on the estate."""

    scope: str  # "community" | "org" | "estate" | "proposer" | "first_body"
    perm: str = ""  # a communities.* codename
    kind: str = ""  # the organisation kind, for scope "org"
    label: str = ""  # how the ledger names this actor, when no single body does


@dataclass(frozen=True)
class Deadline:
    """A stage's clock: a limit to act by, or (minimum=True) a period that must fully run."""

    setting: str  # key in rules.DEFAULT_SETTINGS holding the number of days
    working: bool = False
    minimum: bool = False


@dataclass(frozen=True)
class PollDefaults:
    """The electorates a stage's poll may use and the rule that decides it."""

    electorates: tuple[str, ...]
    rule: str
    params: str = ""  # settings prefix for the rule's thresholds ("council", "party_review", ...)
    body: str = ""  # organisation kind whose members vote, for the "body" electorate
    open_at_once: bool = True  # False: drafted now, opened in a later stage (owners' notice)


# Actions a stage may allow. withdraw, merge, escalate, comment and stance are open at any stage
# to those holding the right permission, so they are not listed per stage.
ADVANCE = "advance"
REJECT = "reject"
CREATE_POLL = "create_poll"
OPEN_POLL = "open_poll"
CLOSE_POLL = "close_poll"
PUBLISH_RESOLUTION = "publish_resolution"
POST_UPDATE = "post_update"
ANSWER_OBJECTION = "answer_objection"
EXTEND = "extend"
RATE = "rate"
# A vote void for participation (too few took part) has a lawful way forward besides rejection:
EXTEND_POLL = "extend_poll"  # extend an open poll once, by the days its notice allowed
RERUN_VOTE = "rerun_vote"  # put the void items to a fresh notice (owners' decisions)

# Guards that must hold before `advance` leaves a stage.
POLL_PASSED = "poll_passed"  # no open poll, and a poll of this stage closed and passed
POLLS_DRAFTED = "polls_drafted"  # the agenda (draft polls) exists before the notice freezes it
RESOLUTION = "resolution"
PERIOD_ELAPSED = "period_elapsed"  # the stage's minimum period has run
OBJECTIONS_ANSWERED = "objections_answered"
COMPLETED = "completed"  # an implementation update marked the work complete
NOTE = "note"  # advancing needs a written note (a response, a summary)


@dataclass(frozen=True)
class Stage:
    code: str
    name: str
    actors: tuple[Actor, ...]
    actions: frozenset[str]
    deadline: Deadline | None = None
    poll: PollDefaults | None = None
    requires: frozenset[str] = frozenset()
    public_notice: bool = False  # 公示: comments may be flagged as objections
    # The stage whose poll definition this stage votes on, when not its own: the owners' vote
    # opens the polls drafted into the notice at the agenda stage.
    votes_on: str = ""
    advance_label: str = ""
    note_label: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    description: str
    stages: tuple[Stage, ...]
    needs_estate: bool = False
    fields: tuple[str, ...] = field(default=())  # extra proposal fields this procedure asks for

    def stage(self, code: str) -> Stage:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(code)

    def next_stage(self, code: str) -> Stage | None:
        codes = [stage.code for stage in self.stages]
        index = codes.index(code)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def position(self, code: str) -> int:
        return [stage.code for stage in self.stages].index(code)


PARTY = Actor("org", "speak_for_organization", Kind.PARTY_COMMITTEE)
RESIDENTS_COMMITTEE = Actor("org", "speak_for_organization", Kind.RESIDENTS_COMMITTEE)
PUBLISHER = Actor("community", "publish_resolution")
COUNCIL_CHAIR = Actor("community", "chair_meeting", label=_("the council's chair"))
OWNERS_CHAIR = Actor("estate", "chair_meeting")
PROPOSER = Actor("proposer")
FIRST_BODY = Actor("first_body")

RESIDENT_BASES = ("residents", "households")


def _resolution_notice(code="notice", name=None) -> Stage:
    """决议公开: the resolution is published and stays on notice; objections get answers."""
    return Stage(
        code,
        name or _("publication of the resolution (决议公开)"),
        (PUBLISHER,),
        frozenset({PUBLISH_RESOLUTION, ANSWER_OBJECTION, ADVANCE}),
        deadline=Deadline("notice.days", minimum=True),
        requires=frozenset({RESOLUTION, PERIOD_ELAPSED, OBJECTIONS_ANSWERED}),
        public_notice=True,
        advance_label=_("End the notice period"),
    )


def _implementation(actors=(PUBLISHER,), name=None) -> Stage:
    """实施结果公开: updates follow the resolution until the work is complete."""
    return Stage(
        "implementation",
        name or _("publication of the implementation result (实施结果公开)"),
        actors,
        frozenset({POST_UPDATE, ADVANCE}),
        deadline=Deadline("micro_project.report_days"),
        requires=frozenset({COMPLETED}),
        advance_label=_("Close the matter as carried out"),
    )


FOUR_DELIBERATIONS = Procedure(
    "four_deliberations",
    _("Four deliberations, two disclosures (四议两公开)"),
    _(
        "For major community matters: the party committee proposes, a joint meeting deliberates, "
        "the party members review, the residents decide; the resolution and its result are "
        "published."
    ),
    (
        Stage(
            "proposal",
            _("proposal by the party committee (党组织提议)"),
            (PARTY,),
            frozenset({ADVANCE, REJECT}),
            advance_label=_("Send to the joint meeting"),
        ),
        Stage(
            "consultation",
            _("joint deliberation (两委商议)"),
            (
                Actor(
                    "community",
                    "chair_meeting",
                    label=_("joint meeting of the party and residents' committees"),
                ),
            ),
            frozenset({ADVANCE, REJECT}),
            advance_label=_("Send to the party members' review"),
            note_label=_("Outcome of the joint meeting"),
        ),
        Stage(
            "review",
            _("review by the party members (党员大会审议)"),
            (PARTY,),
            frozenset({CREATE_POLL, CLOSE_POLL, ADVANCE, REJECT}),
            # The party members on the roll the party committee keeps, not its officers.
            poll=PollDefaults(
                ("party",), Rule.COUNCIL, params="party_review", body=Kind.PARTY_COMMITTEE
            ),
            requires=frozenset({POLL_PASSED}),
            advance_label=_("Send to the residents' meeting"),
        ),
        Stage(
            "decision",
            _("decision by the residents' meeting (居民会议决议)"),
            (RESIDENTS_COMMITTEE,),
            frozenset({CREATE_POLL, CLOSE_POLL, EXTEND_POLL, ADVANCE, REJECT}),
            poll=PollDefaults(RESIDENT_BASES, Rule.RESIDENTS_MEETING, params="residents_meeting"),
            requires=frozenset({POLL_PASSED}),
            advance_label=_("Publish the decision"),
        ),
        _resolution_notice(),
        _implementation(),
    ),
)

OWNERS_JOINT_DECISION = Procedure(
    "owners_joint_decision",
    _("Owners' joint decision (业主共同决定, Civil Code Art. 278)"),
    _(
        "The owners of one estate vote on the items of a notice published at least 15 days "
        "before; area and headcount are counted as the law says."
    ),
    (
        Stage(
            "proposal",
            _("agenda (拟定表决事项)"),
            (OWNERS_CHAIR,),
            frozenset({CREATE_POLL, ADVANCE, REJECT}),
            poll=PollDefaults(("owners",), Rule.OWNERS_ORDINARY, open_at_once=False),
            requires=frozenset({POLLS_DRAFTED}),
            advance_label=_("Publish the notice and freeze the agenda"),
        ),
        Stage(
            "notice",
            _("notice to owners (会议公告)"),
            (OWNERS_CHAIR,),
            frozenset({ADVANCE}),
            deadline=Deadline("owners.notice_days", minimum=True),
            requires=frozenset({PERIOD_ELAPSED}),
            advance_label=_("Start voting"),
        ),
        Stage(
            "voting",
            _("owners' vote (业主表决)"),
            (OWNERS_CHAIR,),
            frozenset({OPEN_POLL, CLOSE_POLL, EXTEND_POLL, RERUN_VOTE, ADVANCE, REJECT}),
            requires=frozenset({POLL_PASSED}),
            votes_on="proposal",
            advance_label=_("Announce the decision"),
        ),
        Stage(
            "resolution",
            _("announcement of the decision (决定公告)"),
            (OWNERS_CHAIR,),
            frozenset({PUBLISH_RESOLUTION, ADVANCE}),
            requires=frozenset({RESOLUTION}),
            advance_label=_("Go on to implementation"),
        ),
        _implementation(actors=(OWNERS_CHAIR, PUBLISHER)),
    ),
    needs_estate=True,
)

COUNCIL_MOTION = Procedure(
    "council_motion",
    _("Council motion (居民议事会议案)"),
    _(
        "A written motion is screened by the party organisation, debated and voted on by the "
        "deliberation council under its rules of order, then published and carried out."
    ),
    (
        Stage(
            "screening",
            _("screening by the party organisation (党组织审核)"),
            (PARTY,),
            frozenset({ADVANCE, REJECT}),
            advance_label=_("Put it to the council"),
        ),
        Stage(
            "council_vote",
            _("council vote (议事会表决)"),
            (COUNCIL_CHAIR,),
            frozenset({CREATE_POLL, CLOSE_POLL, ADVANCE, REJECT}),
            poll=PollDefaults(("body",), Rule.COUNCIL, params="council", body=Kind.COUNCIL),
            requires=frozenset({POLL_PASSED}),
            advance_label=_("Publish the decision"),
        ),
        _resolution_notice(),
        _implementation(),
    ),
)

MICRO_PROJECT = Procedure(
    "micro_project",
    _("Livelihood micro-project (民生微实事)"),
    _(
        "Residents propose a small service, goods or works project within the community's "
        "budget cap; the party committee screens it, the council votes, it goes on public "
        "notice, is carried out with monthly reports, then accepted and evaluated."
    ),
    (
        Stage(
            "screening",
            _("screening by the party committee (党委筛选)"),
            (PARTY,),
            frozenset({ADVANCE, REJECT}),
            advance_label=_("Put it to the council"),
        ),
        Stage(
            "council_vote",
            _("council vote (议事会表决)"),
            (COUNCIL_CHAIR,),
            frozenset({CREATE_POLL, CLOSE_POLL, ADVANCE, REJECT}),
            poll=PollDefaults(("body",), Rule.COUNCIL, params="council", body=Kind.COUNCIL),
            requires=frozenset({POLL_PASSED}),
            advance_label=_("Put the project on public notice"),
        ),
        _resolution_notice(name=_("public notice of the project (项目公示)")),
        _implementation(name=_("implementation with monthly reports (项目实施)")),
        Stage(
            "acceptance",
            _("acceptance and evaluation (验收评价)"),
            (PUBLISHER,),
            frozenset({CREATE_POLL, CLOSE_POLL, ADVANCE}),
            poll=PollDefaults(("residents",), Rule.SIMPLE_MAJORITY),
            requires=frozenset({NOTE}),
            advance_label=_("Record the acceptance"),
            note_label=_("Acceptance and residents' evaluation"),
        ),
    ),
    fields=("project_type", "budget"),
)

CONCERN = Procedure(
    "concern",
    _("Concern and escalation (接诉即办)"),
    _(
        "A resident's concern is received by the first body, which stays responsible for it "
        "(首接负责) and answers by the deadline for its category; hard cases go up to the "
        "street and the district. The requester rates the response."
    ),
    (
        Stage(
            "received",
            _("handling by the first body (受理办理)"),
            (FIRST_BODY,),
            frozenset({ADVANCE, EXTEND, REJECT}),
            deadline=Deadline("concern.{concern_kind}_days", working=True),
            requires=frozenset({NOTE}),
            advance_label=_("Send the response"),
            note_label=_("Response to the requester"),
        ),
        Stage(
            "feedback",
            _("requester's rating (回访评价)"),
            (PROPOSER, FIRST_BODY),
            frozenset({RATE, ADVANCE}),
            deadline=Deadline("concern.enquiry_days", working=True),
            advance_label=_("Close without a rating"),
        ),
    ),
    fields=("concern_kind",),
)

CONSULTATION = Procedure(
    "consultation",
    _("Open consultation (公开征求意见)"),
    _(
        "A proposal is open for comments for a set period; the proposer then publishes a "
        "summary of the responses."
    ),
    (
        Stage(
            "open",
            _("comment period (征求意见)"),
            (PROPOSER, PUBLISHER),
            frozenset({ADVANCE, CREATE_POLL, CLOSE_POLL}),
            # An optional sounding: residents, households, or one vote per organisation.
            poll=PollDefaults(("residents", "households", "organizations"), Rule.SIMPLE_MAJORITY),
            deadline=Deadline("consultation.days", minimum=True),
            requires=frozenset({PERIOD_ELAPSED}),
            advance_label=_("Close the comment period"),
        ),
        Stage(
            "summary",
            _("summary of responses (意见汇总)"),
            (PROPOSER, PUBLISHER),
            frozenset({ADVANCE}),
            requires=frozenset({NOTE}),
            advance_label=_("Publish the summary"),
            note_label=_("Summary of the responses"),
        ),
    ),
)

PROCEDURES: dict[str, Procedure] = {
    p.code: p
    for p in (
        FOUR_DELIBERATIONS,
        OWNERS_JOINT_DECISION,
        COUNCIL_MOTION,
        MICRO_PROJECT,
        CONCERN,
        CONSULTATION,
    )
}

PROCEDURE_CHOICES = [(p.code, p.name) for p in PROCEDURES.values()]


def poll_definition(procedure: Procedure, stage: Stage) -> Stage | None:
    """The stage whose `PollDefaults` define the polls voted in `stage` (None: it votes none)."""
    defining = procedure.stage(stage.votes_on) if stage.votes_on else stage
    return defining if defining.poll is not None else None


def get(code: str) -> Procedure:
    """The built-in procedure with this code; KeyError if there is none."""
    return PROCEDURES[code]

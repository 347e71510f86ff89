"""Small builders for deliberation tests: propose a matter, and walk it through its procedure.

Everything goes through `deliberation.services`. The one direct write is `elapse`, which backdates
a stage's clock to stand in for a notice period that has run.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from communities.models import Ownership
from deliberation import services
from deliberation.models import Matter, Poll

FOUR = "four_deliberations"
OWNERS = "owners_joint_decision"
COUNCIL = "council_motion"
MICRO = "micro_project"
CONCERN = "concern"
CONSULTATION = "consultation"
PROCEDURES = (FOUR, OWNERS, COUNCIL, MICRO, CONCERN, CONSULTATION)

# Who in the cast proposes each procedure in these tests.
PROPOSER = {
    FOUR: "party_secretary",
    OWNERS: "oc_chair",
    COUNCIL: "council_member",
    MICRO: "resident",
    CONCERN: "resident",
    CONSULTATION: "rc_director",
}

# Who in the cast does the work of each stage and leaves it.
ACTOR = {
    (FOUR, "proposal"): "party_secretary",
    (FOUR, "consultation"): "rc_director",
    (FOUR, "review"): "party_secretary",
    (FOUR, "decision"): "rc_director",
    (FOUR, "notice"): "rc_director",
    (FOUR, "implementation"): "rc_director",
    (OWNERS, "proposal"): "oc_chair",
    (OWNERS, "notice"): "oc_chair",
    (OWNERS, "voting"): "oc_chair",
    (OWNERS, "resolution"): "oc_chair",
    (OWNERS, "implementation"): "oc_chair",
    (COUNCIL, "screening"): "party_secretary",
    (COUNCIL, "council_vote"): "party_secretary",
    (COUNCIL, "notice"): "rc_director",
    (COUNCIL, "implementation"): "rc_director",
    (MICRO, "screening"): "party_secretary",
    (MICRO, "council_vote"): "rc_director",
    (MICRO, "notice"): "rc_director",
    (MICRO, "implementation"): "rc_director",
    (MICRO, "acceptance"): "rc_director",
    (CONCERN, "received"): "ws_staff",
    (CONCERN, "feedback"): "ws_staff",
    (CONSULTATION, "open"): "rc_director",
    (CONSULTATION, "summary"): "rc_director",
}

# Who votes yes in each stage's poll, so that it passes.
YES_VOTERS = {
    "review": ["party_secretary", "resident"],  # the party members on the roll
    "decision": ["resident", "owner"],  # every verified resident
    "council_vote": ["council_member"],  # the council's members
}


def propose(world, procedure, by=None, **fields):
    """A new matter of `procedure`, proposed by the cast member who usually would."""
    defaults = {
        "title": "修缮三号楼雨棚",
        "body": "雨棚破损，雨天漏水。",
        "category": "facilities",
        "procedure": procedure,
    }
    if procedure == OWNERS:
        defaults["estate"] = world.estate
    if procedure == MICRO:
        defaults |= {"project_type": "service", "budget": Decimal("50000")}
    if procedure == CONCERN:
        defaults["concern_kind"] = "complaint"
    actor = world.cast[by or PROPOSER[procedure]]
    return services.propose_matter(actor, world.community, **(defaults | fields))


def fresh(matter) -> Matter:
    return Matter.objects.get(pk=matter.pk)


def actor(world, matter):
    return world.cast[ACTOR[(matter.procedure, matter.stage)]]


def elapse(matter) -> Matter:
    """Backdate the current stage so that its deadline lies a minute in the past."""
    matter = fresh(matter)
    shift = matter.deadline - timezone.now() + timedelta(minutes=1)
    Matter.objects.filter(pk=matter.pk).update(
        deadline=matter.deadline - shift, stage_started_at=matter.stage_started_at - shift
    )
    return fresh(matter)


def yes_poll(world, matter, by, voters, **options):
    """Create the stage's poll, have `voters` vote yes, and close it."""
    poll = services.create_poll(
        world.cast[by], matter, question="是否同意？", kind="yes_no_abstain", **options
    )
    for name in voters:
        services.cast_ballot(world.cast[name], poll, ["yes"])
    return services.close_poll(world.cast[by], poll)


def owners_poll(world, question="是否续聘物业服务企业？", **options):
    """An owners' vote past its notice, open, with the cast's owner (1栋101) voting yes."""
    chair = world.cast["oc_chair"]
    matter = propose(world, OWNERS)
    services.create_poll(
        chair, matter, question=question, kind="yes_no_abstain", law_item=4, **options
    )
    matter = services.advance(chair, fresh(matter))
    matter = services.advance(chair, elapse(matter))
    poll = services.open_poll(chair, matter.polls.get())
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    return matter, poll


def prepare(world, matter):
    """Do what the current stage needs before it may be left (its guards), nothing more."""
    matter = fresh(matter)
    by = ACTOR[(matter.procedure, matter.stage)]
    stage = matter.stage
    if stage in YES_VOTERS:
        yes_poll(world, matter, by, YES_VOTERS[stage])
    elif matter.procedure == OWNERS and stage == "proposal":
        services.create_poll(
            world.cast[by], matter, question="续聘物业？", kind="yes_no_abstain", law_item=4
        )
    elif matter.procedure == OWNERS and stage == "voting":
        current = Ownership.objects.current().filter(unit__estate=matter.estate, is_voter=True)
        voters = {o.owner for o in current.select_related("owner")}
        for poll in matter.polls.filter(status=Poll.Status.DRAFT):
            services.open_poll(world.cast[by], poll)
            for voter in voters:
                services.cast_ballot(voter, poll, ["yes"])
            services.close_poll(world.cast[by], poll)
    elif stage == "resolution" or (stage == "notice" and matter.procedure != OWNERS):
        services.publish_resolution(world.cast[by], matter, text="决议：同意实施。")
    elif stage == "implementation":
        services.post_update(world.cast[by], matter, text="已完工。", status="completed")
    if matter.stage_spec.deadline is not None and matter.stage_spec.deadline.minimum:
        elapse(matter)
    return fresh(matter)


def leave(world, matter, *, by=None) -> Matter:
    """Do what the stage needs and advance, with a note in case the stage asks for one."""
    matter = prepare(world, matter)
    return services.advance(by or actor(world, matter), matter, note="已办理，详见附件。")


def walk_to(world, matter, stage) -> Matter:
    """Advance the matter along the happy path until it reaches `stage`."""
    matter = fresh(matter)
    while matter.stage != stage:
        matter = leave(world, matter)
    return matter


def walk_to_end(world, matter) -> Matter:
    """Advance the matter along the happy path until its last stage closes it."""
    matter = fresh(matter)
    while matter.closed_at is None:
        matter = leave(world, matter)
    return matter


class _Undo(Exception):
    pass


def outcome(call) -> str:
    """Run `call` and undo it: "ok", "denied" (PermissionDenied) or "invalid" (ValidationError)."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return "ok"
    except PermissionDenied:
        return "denied"
    except ValidationError:
        return "invalid"

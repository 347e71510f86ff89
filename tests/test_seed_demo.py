"""`manage.py seed_demo`: the demo community, its logins and their rights, and idempotency."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from guardian.models import UserObjectPermission

from communities import services
from communities.models import (
    AuditEvent,
    Community,
    Estate,
    Membership,
    Organization,
    Ownership,
    Position,
    Unit,
)
from deliberation import access
from deliberation import services as deliberation
from deliberation.models import Escalation, Matter, Poll, ReceptionSession, Resolution
from deliberation.procedures import PROCEDURES

User = get_user_model()

PASSWORD = "demo-2026"
LOGINS = [
    "admin",
    "party_secretary",
    "party_member",
    "rc_director",
    "rc_member",
    "ws_director",
    "ws_staff",
    "pm_manager",
    "oc_director",
    "so_director",
    "resident",
    "owner",
    "pending",
    "outsider",
]


def seed(*args) -> str:
    """Run the command and return what it printed."""
    out = io.StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """One run for the whole module, rolled back at its end: a run takes over a second."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    """The seeded database, which each test may change (`db` rolls it back), and the output."""
    return seeded_once


def rows(queryset, *fields):
    """The given fields of every row, sorted, with None sorting like an empty value."""
    return sorted(queryset.values_list("pk", *fields), key=lambda row: [str(v) for v in row])


def snapshot():
    """Every row the seed writes, by its key fields, ids and timestamps."""
    return {
        "communities": rows(Community.objects, "slug", "name", "code", "street", "district"),
        "estates": rows(Estate.objects, "community__slug", "name", "address"),
        "units": rows(
            Unit.objects,
            "estate__name",
            "building",
            "number",
            "area",
            "area_source",
            "developer_held",
        ),
        "organizations": rows(
            Organization.objects, "community__slug", "name", "kind", "estate__name"
        ),
        "users": rows(User.objects, "username", "display_name", "password", "is_superuser"),
        "memberships": rows(
            Membership.objects,
            "user__username",
            "community__slug",
            "status",
            "decided_at",
            "unit",
            "unit_since",
        ),
        "positions": rows(
            Position.objects, "user__username", "organization__name", "title", "ended_at"
        ),
        "ownerships": rows(
            Ownership.objects,
            "unit__estate__name",
            "unit__building",
            "unit__number",
            "owner__username",
            "is_voter",
            "ended_at",
        ),
        "permissions": sorted(
            UserObjectPermission.objects.values_list(
                "user__username", "permission__codename", "content_type__model", "object_pk"
            )
        ),
    }


def test_it_creates_the_whole_community(seeded):
    community = Community.objects.get(slug="lianhua")
    assert (community.name, community.code, community.street, community.district) == (
        "莲花社区",
        "LH",
        "莲花街道",
        "福田区",
    )
    assert community.city == "深圳市"
    assert sorted(community.estates.values_list("name", flat=True)) == ["翠林苑", "莲花一村"]
    assert set(community.organizations.values_list("kind", flat=True)) == set(
        Organization.Kind.values
    )
    units = Unit.objects.filter(estate__community=community)
    assert 180 <= units.count() <= 220
    assert set(units.values_list("area_source", flat=True)) == set(Unit.AreaSource.values)
    assert all(
        area == area.quantize(Decimal("0.01")) for area in units.values_list("area", flat=True)
    )
    held = units.filter(developer_held=True)
    assert 5 <= held.count() <= 15
    assert set(held.values_list("estate__name", flat=True)) == {"翠林苑"}
    assert not Ownership.objects.filter(unit__in=held).exists()
    assert 140 <= User.objects.count() <= 160  # with 莲花一村's absent owners


def test_it_gives_the_same_data_when_run_twice(seeded):
    before = snapshot()
    events = AuditEvent.objects.count()

    seed()

    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_it_lets_every_demo_login_sign_in(seeded):
    for username in [*LOGINS, "resident01", "resident45"]:
        # With a request, as the login form asks: sign-in throttling (django-axes) needs one.
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=PASSWORD) is not None, username
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_it_gives_the_demo_logins_their_permissions(seeded):
    community = Community.objects.get(slug="lianhua")
    old, new = Estate.objects.get(name="莲花一村"), Estate.objects.get(name="翠林苑")
    people = {u.username: u for u in User.objects.filter(username__in=LOGINS)}

    def can(username, perm, obj):
        """Whether the demo login holds `communities.<perm>` on `obj`."""
        return people[username].has_perm(f"communities.{perm}", obj)

    assert can("party_secretary", "chair_meeting", community)
    assert can("rc_director", "publish_resolution", community)
    assert can("rc_director", "verify_resident", community)
    assert can("ws_staff", "verify_resident", community)
    assert not can("ws_staff", "publish_resolution", community)
    assert can("ws_director", "host_reception", community)
    assert can("oc_director", "chair_meeting", old)
    assert can("pm_manager", "propose_matter", old)
    assert not can("pm_manager", "vote", old)
    assert can("owner", "vote", old)
    assert can("owner", "vote", community)
    assert not can("owner", "vote", new)
    assert can("resident", "vote", community)
    assert not can("resident", "vote", old)
    for username in ("pending", "outsider"):
        assert not can(username, "comment", community)
        assert not can(username, "vote", community)
    assert not Membership.objects.filter(user=people["outsider"]).exists()
    assert Membership.objects.get(user=people["pending"]).status == Membership.Status.PENDING


def test_it_links_every_demo_resident_to_the_unit_they_live_in(seeded):
    from deliberation import electorates
    from deliberation.models import Poll
    from demo.plan import build_plan

    community = Community.objects.get(slug="lianhua")
    planned = {p.username: p for p in build_plan().people if p.membership is not None}
    memberships = Membership.objects.filter(community=community).select_related("user", "unit")
    for membership in memberships.select_related("unit__estate"):
        person = planned[membership.user.username]
        unit = membership.unit
        assert (unit.estate.name, unit.building, unit.number) == person.home, person.username
        assert (membership.unit_since is not None) == membership.is_verified
    # One household per unit lived in: the co-owners of one flat share its vote.
    homes = {p.home for p in planned.values() if p.membership == Membership.Status.VERIFIED}
    poll = Poll(community=community, electorate="households")
    assert (
        electorates.base(poll).heads
        == len(homes)
        < len([p for p in planned.values() if p.membership == Membership.Status.VERIFIED])
    )


def test_it_counts_an_owner_of_several_units_once(seeded):
    owner = User.objects.get(username="owner")
    ownerships = Ownership.objects.current().filter(owner=owner)
    assert ownerships.count() == 2
    assert set(ownerships.values_list("unit__estate__name", flat=True)) == {"莲花一村"}
    assert User.objects.filter(display_name=owner.display_name).count() == 1

    co_owned = [
        unit
        for unit in Unit.objects.all()
        if unit.ownerships.current().count() > 1  # a few hundred small queries, still fast
    ]
    assert co_owned
    for unit in co_owned:
        assert unit.ownerships.current().filter(is_voter=True).count() == 1


def test_it_prints_every_demo_login_and_the_password(seeded):
    for username in LOGINS:
        assert username in seeded
    assert PASSWORD in seeded
    assert "http://127.0.0.1:8000/accounts/login/" in seeded
    assert "200 units" in seeded


def test_it_prints_only_the_summary_when_quiet(seeded):
    out = seed("--quiet")

    assert "party_secretary" not in out
    assert "200 units" in out


def test_it_puts_the_demo_back_after_people_try_it(seeded):
    admin = User.objects.get(username="admin")
    community = Community.objects.get(slug="lianhua")
    pending = User.objects.get(username="pending")
    outsider = User.objects.get(username="outsider")
    services.verify_membership(admin, Membership.objects.get(user=pending))
    services.request_membership(outsider, community)
    unit = Unit.objects.filter(developer_held=False).first()
    unit.area = Decimal("1.00")
    services.save_structure(admin, unit, changed=["area"])

    seed()

    assert Membership.objects.get(user=pending).status == Membership.Status.PENDING
    assert Membership.objects.get(user=outsider).status == Membership.Status.LEFT
    assert not outsider.has_perm("communities.comment", community)
    unit.refresh_from_db()
    assert unit.area != Decimal("1.00")


def test_it_keeps_a_unit_sold_during_the_demo(seeded):
    admin = User.objects.get(username="admin")
    buyer = User.objects.create_user(username="buyer", password="x")
    unit = Unit.objects.filter(developer_held=True).first()
    services.record_ownership(admin, unit, buyer)

    seed()

    unit.refresh_from_db()
    assert not unit.developer_held
    assert Ownership.objects.current().filter(unit=unit, owner=buyer).exists()


def test_it_refuses_an_admin_that_is_not_a_superuser(seeded):
    User.objects.filter(username="admin").update(is_superuser=False)
    Membership.objects.filter(user__username="pending").update(status=Membership.Status.LEFT)
    before = snapshot()

    with pytest.raises(CommandError, match="superuser"):
        seed()

    assert snapshot() == before


def test_it_refuses_to_run_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    users, events = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


# -- the demo matters (demo/stories.py) ---------------------------------------------------------


def demo_matters():
    return Matter.objects.filter(community__slug="lianhua")


def test_it_adds_matters_in_every_procedure_and_every_ending(seeded):
    matters = demo_matters()
    assert set(matters.values_list("procedure", flat=True)) == set(PROCEDURES)
    assert set(matters.values_list("status", flat=True)) == set(Matter.Status.values)
    for matter in matters.exclude(status__in=["open", "decided"]):
        assert matter.closing_reason and matter.closed_at, matter.reference
    merged = matters.get(status=Matter.Status.MERGED)
    assert merged.merged_into.community_id == merged.community_id
    assert "matters on the ledger" in seeded


def test_every_closed_demo_poll_keeps_the_result_its_ballots_give(seeded):
    polls = Poll.objects.filter(community__slug="lianhua", status=Poll.Status.CLOSED)
    assert polls.filter(electorate="owners", law_item=5).exists()
    for poll in polls:
        assert deliberation.tally(poll) == poll.result, poll.question


def test_every_demo_resolution_rests_on_a_passed_poll_of_its_matter(seeded):
    resolutions = Resolution.objects.filter(community__slug="lianhua").select_related("poll")
    assert resolutions.count() >= 3
    for resolution in resolutions:
        assert resolution.poll.matter_id == resolution.matter_id
        assert resolution.poll.result["passed"] and resolution.poll.result["quorum_met"]
        assert resolution.matter.status == Matter.Status.DECIDED


def test_it_closes_an_owners_vote_that_passed_with_its_resolution(seeded):
    poll = Poll.objects.get(community__slug="lianhua", electorate="owners", law_item=5)
    assert poll.status == Poll.Status.CLOSED
    assert deliberation.tally(poll) == poll.result
    assert poll.result["quorum_met"] and poll.result["passed"]
    resolution = Resolution.objects.get(matter=poll.matter)
    assert resolution.poll == poll
    assert resolution.issuing_body.kind == Organization.Kind.OWNERS_COMMITTEE
    assert resolution.updates.filter(status="in_progress").exists()


def test_it_leaves_matters_at_their_stages(seeded):
    matters = demo_matters()
    notice = matters.get(procedure="owners_joint_decision", status="open")
    assert notice.stage == "notice" and notice.deadline_is_minimum
    assert notice.polls.get().status == Poll.Status.DRAFT
    motion = matters.get(procedure="council_motion", status="open")
    assert motion.stage == "council_vote"
    vote = motion.polls.get(status=Poll.Status.OPEN)
    assert 0 < vote.ballots.count() < vote.electorate_heads
    on_notice = matters.get(procedure="four_deliberations", closed_at__isnull=True)
    assert on_notice.stage == "notice" and on_notice.resolution
    objection = on_notice.comments.get(is_objection=True)
    assert objection.answered_by.author.username == "rc_director"
    project = matters.get(procedure="micro_project", status="decided")
    assert project.stage == "implementation" and project.budget <= 200000
    assert project.resolution.updates.count() >= 1
    session = ReceptionSession.objects.get(community__slug="lianhua")
    assert session.created_by.username == "ws_director" and session.ratings.count() >= 3


def test_it_leaves_a_consultation_open_with_comments_and_stances(seeded):
    consultation = demo_matters().get(procedure="consultation")
    assert consultation.status == "open" and consultation.stage == "open"
    assert consultation.deadline_is_minimum and consultation.deadline > timezone.now()
    assert consultation.comments.count() >= 3
    assert consultation.comments.filter(as_organization__isnull=False).exists()
    assert consultation.stances.values("organization").distinct().count() >= 2


def test_it_shows_one_overdue_escalation_on_the_ledger(seeded):
    overdue = list(demo_matters().filter(access.overdue_q()).distinct())
    assert len(overdue) == 1
    escalation = Escalation.objects.get(matter=overdue[0])
    assert escalation.is_overdue() and escalation.level == Escalation.Level.STREET
    assert overdue[0].concern_kind == "urgent"


def test_it_adds_no_matters_when_run_again(seeded):
    before = rows(demo_matters(), "reference", "stage", "status", "created_at")
    polls = rows(Poll.objects, "status", "opened_at")

    seed()

    assert rows(demo_matters(), "reference", "stage", "status", "created_at") == before
    assert rows(Poll.objects, "status", "opened_at") == polls
    assert ReceptionSession.objects.count() == 1


def test_it_leaves_a_council_session_live_with_its_agenda(seeded):
    from deliberation.models import Meeting

    meeting = Meeting.objects.get(community__slug="lianhua", status=Meeting.Status.LIVE)
    assert meeting.kind == Meeting.Kind.COUNCIL
    assert meeting.chair.username == "party_secretary"
    assert meeting.items.count() == 3 and meeting.current_item is not None
    assert meeting.items.filter(matter__isnull=False).count() == 2
    assert meeting.events.filter(kind="chat.message").exists()

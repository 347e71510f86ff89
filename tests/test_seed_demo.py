"""`manage.py seed_demo`: the demo community, its logins and their rights, and idempotency."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
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
            Membership.objects, "user__username", "community__slug", "status", "decided_at"
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
    assert 55 <= User.objects.count() <= 70


def test_it_gives_the_same_data_when_run_twice(seeded):
    before = snapshot()
    events = AuditEvent.objects.count()

    seed()

    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_it_lets_every_demo_login_sign_in(seeded):
    for username in [*LOGINS, "resident01", "resident45"]:
        assert authenticate(username=username, password=PASSWORD) is not None, username
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

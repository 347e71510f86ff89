"""`manage.py seed_demo`: load 莲花社区, its estates, units, bodies and a login for every role.

The demo is planned in full from a fixed random seed before the database is touched
(`demo.plan`), then the database is brought to that plan through `communities.services`, so a
second run finds nothing to change and writes nothing (not even an audit event).
"""

import os
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communities import services
from communities.models import (
    Community,
    Estate,
    Membership,
    Organization,
    Ownership,
    PartyMember,
    Position,
    Unit,
)
from deliberation.models import Matter, Meeting, Resolution
from demo.plan import (
    ADMIN,
    COMMUNITY,
    DEMO_PASSWORD,
    ESTATES,
    GENERATED_RESIDENTS,
    LOGIN_URL,
    ORGANIZATIONS,
    RESET_REASON,
    Person,
    Plan,
    UnitKey,
    build_plan,
)
from demo.stories import seed_matters, seed_meeting

User = get_user_model()
Status = Membership.Status


def _width(text: str) -> int:
    """Columns `text` takes in a terminal, where Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns."""
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = (
        "Load the demo community 莲花社区 (two estates, about 200 units, all six kinds of "
        "organisation and a login for every role, password demo-2026). Safe to run again: "
        "it only changes what differs from the demo."
    )

    def add_arguments(self, parser):
        """Accept --quiet."""
        parser.add_argument(
            "--quiet", action="store_true", help="Do not print the table of demo logins."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo logins have a published password.",
        )

    def handle(self, *args, quiet=False, force=False, **options):
        """Bring the database to the demo plan, then print the logins and a summary."""
        if not settings.DEBUG and not force:
            # The demo creates a superuser whose password is in the README.
            raise CommandError(
                "seed_demo creates logins with a published password, so it runs only with "
                "DJANGO_DEBUG=1. Use --force to load the demo on a non-debug site anyway."
            )
        plan = build_plan()
        self._hashed = None
        with transaction.atomic():
            self.admin = self._ensure_admin()
            community = self._ensure_community()
            self._ensure_units(community, plan.units)
            orgs = self._ensure_organizations(community)
            users = self._ensure_users(plan.people)
            self._ensure_positions(community, orgs, users, plan.people)
            self._ensure_memberships(community, users, plan.people)
            self._ensure_ownerships(community, users, plan)
            self._ensure_party_roll(orgs, users, plan.people)
            seed_matters(community, users, self.admin)
            seed_meeting(community, users, self.admin)
        if options["verbosity"] >= 1:
            if not quiet:
                self._print_logins(plan.people)
            self._print_summary(community)

    # -- structure ---------------------------------------------------------------------------

    def _demo_hash(self) -> str:
        """The demo password's hash, computed once and only if a login is created."""
        if self._hashed is None:
            self._hashed = make_password(DEMO_PASSWORD)
        return self._hashed

    def _ensure_admin(self):
        """The superuser who acts in every service call."""
        admin = User.objects.filter(username=ADMIN).first()
        if admin is None:
            admin = User.objects.create_superuser(
                username=ADMIN, email="", password=None, display_name="系统管理员"
            )
            admin.password = self._demo_hash()
            admin.save(update_fields=["password"])
        elif not (admin.is_superuser and admin.is_active):
            raise CommandError(f"The user {ADMIN!r} exists but is not an active superuser.")
        return admin

    def _ensure_structure(self, obj, model, lookup: dict, values: dict):
        """Create the object if `obj` is None, else change the fields that differ from `values`."""
        if obj is None:
            return services.save_structure(self.admin, model(**lookup, **values))
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            services.save_structure(self.admin, obj, changed=changed)
        return obj

    def _ensure_community(self):
        """莲花社区 and its two estates."""
        values = {k: v for k, v in COMMUNITY.items() if k != "slug"}
        community = self._ensure_structure(
            Community.objects.filter(slug=COMMUNITY["slug"]).first(),
            Community,
            {"slug": COMMUNITY["slug"]},
            values,
        )
        for spec in ESTATES:
            lookup = {"community": community, "name": spec.name}
            self._ensure_structure(
                Estate.objects.filter(**lookup).first(), Estate, lookup, {"address": spec.address}
            )
        return community

    def _ensure_units(self, community, planned: dict[UnitKey, dict]):
        """Every planned unit, with its area and area source."""
        estates = {e.name: e for e in community.estates.all()}
        existing = {
            (u.estate.name, u.building, u.number): u
            for u in Unit.objects.filter(estate__community=community).select_related("estate")
        }
        owned = set(
            Ownership.objects.current()
            .filter(unit__estate__community=community)
            .values_list("unit_id", flat=True)
        )
        for key, values in planned.items():
            estate_name, building, number = key
            unit = existing.get(key)
            values = dict(values)
            if unit is not None and unit.pk in owned:
                # Someone bought it during the demo: a sold unit never goes back to the developer.
                values.pop("developer_held")
            lookup = {"estate": estates[estate_name], "building": building, "number": number}
            self._ensure_structure(unit, Unit, lookup, values)

    def _ensure_organizations(self, community) -> dict[str, Organization]:
        """All nine bodies, by name."""
        estates = {e.name: e for e in community.estates.all()}
        existing = {o.name: o for o in community.organizations.all()}
        orgs = {}
        for name, kind, estate_name, description in ORGANIZATIONS:
            values = {
                "kind": kind,
                "estate": estates[estate_name] if estate_name else None,
                "description": description,
            }
            orgs[name] = self._ensure_structure(
                existing.get(name),
                Organization,
                {"community": community, "name": name},
                values,
            )
        return orgs

    # -- people --------------------------------------------------------------------------------

    def _ensure_users(self, people: list[Person]) -> dict[str, object]:
        """A login for each planned person; only new logins get the demo password."""
        existing = {
            u.username: u for u in User.objects.filter(username__in=[p.username for p in people])
        }
        users = {}
        for person in people:
            user = existing.get(person.username)
            if user is None:
                user = User.objects.create_user(
                    username=person.username, password=None, display_name=person.display_name
                )
                user.password = self._demo_hash()
                user.save(update_fields=["password"])
            elif user.display_name != person.display_name:
                user.display_name = person.display_name
                user.save(update_fields=["display_name"])
            users[person.username] = user
        return users

    def _ensure_positions(self, community, orgs, users, people: list[Person]):
        """Each seeded person holds exactly their planned positions in the community."""
        current = {
            (p.user_id, p.organization_id): p
            for p in Position.objects.current()
            .filter(organization__community=community, user__in=users.values())
            .select_related("organization", "user")
        }
        wanted = set()
        for person in people:
            user = users[person.username]
            for org_name, title in person.positions:
                org = orgs[org_name]
                wanted.add((user.pk, org.pk))
                position = current.get((user.pk, org.pk))
                if position is not None and position.title == title:
                    continue
                if position is not None:
                    services.end_position(self.admin, position)
                services.appoint(self.admin, org, user, title)
        for key, position in sorted(current.items()):
            if key not in wanted:
                services.end_position(self.admin, position)

    def _ensure_party_roll(self, orgs, users, people: list[Person]):
        """The party committee's roll holds exactly the planned party members."""
        party = next(o for o in orgs.values() if o.kind == Organization.Kind.PARTY_COMMITTEE)
        current = {m.user_id: m for m in PartyMember.objects.current().filter(organization=party)}
        wanted = {users[p.username].pk: users[p.username] for p in people if p.party}
        for user_id, user in sorted(wanted.items()):
            if user_id not in current:
                services.add_party_member(self.admin, party, user)
        for user_id, member in sorted(current.items()):
            if user_id not in wanted:
                services.end_party_member(self.admin, member, reason=RESET_REASON)

    def _ensure_memberships(self, community, users, people: list[Person]):
        """Each seeded person's membership has the planned status, and a verified resident is
        linked to the unit they live in (their household)."""
        existing = {
            m.user_id: m
            for m in Membership.objects.filter(community=community, user__in=users.values())
        }
        units = {
            (u.estate.name, u.building, u.number): u
            for u in Unit.objects.filter(estate__community=community).select_related("estate")
        }
        live = (Status.PENDING, Status.VERIFIED)
        for person in people:
            if person.username == ADMIN:
                continue
            user = users[person.username]
            membership = existing.get(user.pk)
            status = membership.status if membership else None
            if person.membership is None:
                if status in live:
                    services.leave_community(user, community)
                continue
            home = units[person.home] if person.home else None
            if status != person.membership:
                if status == Status.VERIFIED:
                    # Reset a demo applicant that someone verified while trying the demo.
                    services.revoke_membership(self.admin, membership, reason=RESET_REASON)
                if status != Status.PENDING:
                    membership = services.request_membership(
                        user, community, address=person.address
                    )
                if person.membership == Status.VERIFIED:
                    membership = services.verify_membership(self.admin, membership, unit=home)
            if (
                person.membership == Status.VERIFIED
                and home is not None
                and membership.unit_id != home.pk
            ):
                services.link_unit(self.admin, membership, home)

    def _ensure_ownerships(self, community, users, plan: Plan):
        """Each seeded person owns exactly their planned units; co-owners' voter as planned."""
        units = {
            (u.estate.name, u.building, u.number): u
            for u in Unit.objects.filter(estate__community=community).select_related(
                "estate__community"
            )
        }
        current = {
            (o.unit_id, o.owner_id): o
            for o in Ownership.objects.current().filter(
                unit__estate__community=community, owner__in=users.values()
            )
        }
        wanted = set()
        for person in plan.people:
            user = users[person.username]
            for key in person.units:
                unit = units[key]
                wanted.add((unit.pk, user.pk))
                if (unit.pk, user.pk) not in current:
                    services.record_ownership(self.admin, unit, user)
        for key, ownership in sorted(current.items()):
            if key not in wanted:
                services.end_ownership(self.admin, ownership)
        for key, username in sorted(plan.voters.items()):
            unit = units[key]
            voter = users[username]
            if not unit.ownerships.current().filter(owner=voter, is_voter=True).exists():
                services.designate_voter(self.admin, unit, voter)

    # -- output --------------------------------------------------------------------------------

    def _print_logins(self, people: list[Person]):
        """The table of demo logins."""
        rows = [("username", "password", "角色", "role")]
        rows += [(p.username, DEMO_PASSWORD, p.role_zh, p.role_en) for p in people if p.login]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        write = self.stdout.write
        write("")
        write(f"Demo logins for {COMMUNITY['name']}; all use the demo password {DEMO_PASSWORD}.")
        write(f"Sign in at {LOGIN_URL}")
        write("")
        lines = [
            "  ".join(_pad(cell, width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
            for row in rows
        ]
        write(lines[0])
        write("-" * max(_width(line) for line in lines))
        for line in lines[1:]:
            write(line)
        write("")
        write(
            f"The {GENERATED_RESIDENTS} generated residents, resident01 to "
            f"resident{GENERATED_RESIDENTS:02d}, also use {DEMO_PASSWORD}."
        )

    def _print_summary(self, community):
        """One line of counts."""
        units = Unit.objects.filter(estate__community=community)
        memberships = Membership.objects.filter(community=community)
        self.stdout.write(
            f"{community.name}: {community.estates.count()} estates, {units.count()} units "
            f"({units.filter(developer_held=True).count()} held by the developer), "
            f"{community.organizations.count()} organisations, {User.objects.count()} users "
            f"({memberships.verified().count()} verified residents, "
            f"{memberships.pending().count()} awaiting verification)."
        )
        matters = Matter.objects.filter(community=community)
        self.stdout.write(
            f"{matters.count()} matters on the ledger ({matters.open().count()} open), "
            f"{Resolution.objects.filter(community=community).count()} resolutions."
        )
        for meeting in Meeting.objects.filter(community=community, status=Meeting.Status.LIVE):
            port = os.environ.get("PORT", "8000")
            self.stdout.write(
                f"Live now: {meeting.title} at http://127.0.0.1:{port}{meeting.get_absolute_url()}"
            )

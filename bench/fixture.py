"""The bench's Django side: real users, sessions and meetings, made through the product's services.

Run in a subprocess with the server's environment (DATABASE_URL and so on), never inside the load
generator, so the generator stays a plain asyncio process:

    python -m bench.fixture setup --n 5000 --out var/bench/people.json
    python -m bench.fixture meeting
    python -m bench.fixture count --poll 12
    python -m bench.fixture matters --n 10000
"""

import argparse
import json
import os
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that signs people in (the first one, django-axes', only watches logins).
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def setup(n: int, out: str) -> dict:
    """Migrate, load the demo, and add `n` verified residents with a signed-in session each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from communities import services
    from communities.models import Community, Membership
    from demo.plan import COMMUNITY

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", "--quiet", "--force")  # the bench site is thrown away
    User = get_user_model()
    community = Community.objects.get(slug=COMMUNITY["slug"])
    director = User.objects.get(username="rc_director")
    names = [f"bench{i:05d}" for i in range(n)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    now = timezone.now()
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(username=name, display_name=f"居民{name[5:]}", password=make_password(None))
                for name in names
                if name not in existing
            ],
            batch_size=500,
        )
        users = list(User.objects.filter(username__in=names).order_by("username"))
        asked = set(
            Membership.objects.filter(community=community, user__in=users).values_list(
                "user_id", flat=True
            )
        )
        Membership.objects.bulk_create(
            [
                # One household each: a residents' meeting counts households (domain rules §2).
                Membership(
                    user=u,
                    community=community,
                    address=f"莲花新村{i // 400 + 1}栋{i % 400 + 101}室",
                    requested_at=now,
                )
                for i, u in enumerate(users)
                if u.pk not in asked
            ],
            batch_size=500,
        )
    # Verified through the service, so each resident gets exactly a resident's permissions.
    for membership in Membership.objects.pending().filter(community=community, user__in=users):
        services.verify_membership(director, membership)
    with transaction.atomic():
        people = {
            "community": community.slug,
            "chair": _cookie(director),
            "residents": [_cookie(u) for u in users],
        }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(people, f)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Thousands of rows just arrived: give the planner statistics, as autovacuum would on a
        # site that has been running (without them it chose nested scans for presence counts).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"residents": len(users)}


def meeting() -> dict:
    """A fresh 居民会议, live, chaired by the residents' committee director, on a 四议两公开
    matter at its residents' decision: the room votes the stage's own poll (all verified
    residents, the residents' meeting rule). The matter gets there through the services: the
    party members on the demo's roll pass its review."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from communities.models import Community, Organization, PartyMember
    from deliberation import meetings, services
    from deliberation.models import Meeting
    from demo.plan import COMMUNITY

    users = get_user_model().objects
    director = users.get(username="rc_director")
    secretary = users.get(username="party_secretary")
    community = Community.objects.get(slug=COMMUNITY["slug"])
    title = f"基准测试议题 {timezone.now():%H:%M:%S.%f}"
    matter = services.propose_matter(
        secretary, community, title=title, body="基准测试用的议题。", category="other",
        procedure="four_deliberations",
    )  # fmt: skip
    matter = services.advance(secretary, matter, note="提交两委商议。")
    matter = services.advance(secretary, matter, note="两委商议通过。")
    review = services.create_poll(secretary, matter, question="党员大会审议", kind="yes_no_abstain")
    party = community.organizations.get(kind=Organization.Kind.PARTY_COMMITTEE)
    for member in PartyMember.objects.current().filter(organization=party).select_related("user"):
        services.cast_ballot(member.user, review, ["yes"])
    services.close_poll(secretary, review)
    matter = services.advance(secretary, matter)
    room = meetings.schedule_meeting(
        director,
        community,
        title=f"基准测试居民会议 {timezone.now():%H:%M:%S}",
        kind=Meeting.Kind.RESIDENTS,
        scheduled_at=timezone.now(),
        public=False,
        agenda=[(title, matter)],
    )
    meetings.start_meeting(director, room)
    return {"meeting": room.pk}


# Bodies that are slow to render (about 3 s for the eight): what made each anonymous ledger CSV
# take seconds when every request rendered every body (bench/ledger_csv.py).
SLOW_BODIES = [
    "[" * 20000,
    "[a](" * 5000,
    "[" * 6000 + "]" * 6000 + "(" * 6000,
    ("[" + "[]" * 33 + "](b)") * 280,
    "*a " * 6000,
    "`" * 20000,
    "<" * 20000,
    ("> " * 50 + "x\n") * 150,
]


def matters(n: int) -> dict:
    """`n` matters on the demo community's ledger: the demo's own, eight with bodies slow to
    render and a mix of procedures, all proposed through the service; then copies of the mix
    (not of the slow ones), each with a number of its own, up to `n` rows."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from communities.models import Community, Ownership
    from deliberation import services
    from deliberation.models import Matter
    from demo.plan import COMMUNITY

    users = get_user_model().objects
    community = Community.objects.get(slug=COMMUNITY["slug"])
    secretary = users.get(username="party_secretary")
    slow = []
    for i, body in enumerate(SLOW_BODIES):
        slow.append(
            services.propose_matter(
                secretary, community, title=f"基准慢议题{i}", body=body, category="other",
                procedure="consultation",
            ).pk
        )  # fmt: skip
    owner = users.get(username="owner")
    owned = Ownership.objects.current().filter(owner=owner).select_related("unit__estate").first()
    mix = [
        (secretary, "four_deliberations", {}),
        (secretary, "consultation", {}),
        (users.get(username="resident"), "council_motion", {}),
        (users.get(username="resident"), "concern", {"concern_kind": "complaint"}),
        (owner, "owners_joint_decision", {"estate": owned.unit.estate}),
    ]
    for i, (who, procedure, extra) in enumerate(mix):
        services.propose_matter(
            who, community, title=f"基准议题{i}", body=f"**第{i}项**说明：加装电梯、修缮雨棚。",
            category="facilities", procedure=procedure, **extra,
        )  # fmt: skip
    templates = list(Matter.objects.filter(community=community).exclude(pk__in=slow))
    now = timezone.now()
    number = Matter.objects.filter(community=community, year=now.year).aggregate(n=Max("number"))
    number = number["n"] or 0
    skip = {"id", "number", "reference", "created_at", "year"}
    fields = [f.attname for f in Matter._meta.concrete_fields if f.attname not in skip]
    copies = []
    for k in range(max(0, n - Matter.objects.filter(community=community).count())):
        template = templates[k % len(templates)]
        number += 1
        copies.append(
            Matter(
                **{name: getattr(template, name) for name in fields},
                year=now.year,
                number=number,
                reference=f"{community.code}-{now.year}-{number:05d}",
                created_at=now - timedelta(minutes=k),
            )
        )
    with transaction.atomic():
        Matter.objects.bulk_create(copies, batch_size=1000)
    on_ledger = Matter.objects.filter(community=community)
    return {
        "community": community.slug,
        "matters": on_ledger.count(),
        "public": on_ledger.filter(visibility=Matter.Visibility.PUBLIC).count(),
        "slow": len(slow),
    }


def count(poll_id: int) -> dict:
    """What the database holds for a poll: ballots, distinct voters, and the frozen result."""
    from deliberation.models import Ballot, Poll

    poll = Poll.objects.get(pk=poll_id)
    ballots = Ballot.objects.filter(poll=poll)
    by_choice: dict[str, int] = {}
    for choices in ballots.values_list("choices", flat=True):
        for code in choices:
            by_choice[code] = by_choice.get(code, 0) + 1
    return {
        "ballots": ballots.count(),
        "voters": ballots.values("voter").distinct().count(),
        "by_choice": by_choice,
        "status": poll.status,
        "result_heads": {k: v["heads"] for k, v in (poll.result or {}).get("counts", {}).items()},
    }


def codes(meeting_id: int, n: int) -> dict:
    """The check-in codes of the first `n` bench residents for a meeting (as printed for them)."""
    from django.contrib.auth import get_user_model

    from deliberation.meetings import checkin
    from deliberation.models import Meeting

    meeting = Meeting.objects.get(pk=meeting_id)
    names = [f"bench{i:05d}" for i in range(n)]
    users = get_user_model().objects.filter(username__in=names).order_by("username")
    return {"codes": [checkin.code_for(meeting, user) for user in users]}


def checkins(meeting_id: int) -> dict:
    """What the database holds after a check-in burst: rows, people, audit events, presence."""
    from communities.models import AuditEvent
    from deliberation import meetings
    from deliberation.models import Attendance, CheckIn, Meeting

    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    rows = CheckIn.objects.filter(meeting=meeting, undone_at__isnull=True)
    presence = meetings.presence(meeting)
    online = Attendance.objects.filter(meeting=meeting, left_at__isnull=True)
    once = set(online.values_list("user_id", flat=True)) | set(
        rows.values_list("user_id", flat=True)
    )
    return {
        "check_ins": rows.count(),
        "people": rows.values("user").distinct().count(),
        "audit": AuditEvent.objects.filter(
            verb="meeting.checked_in", object_id=str(meeting.pk)
        ).count(),
        "presence_total": presence["total"],
        "present_once": len(once),
        "checked_in": presence["checked_in"],
        "quorum_present": presence["quorum"]["present"],
    }


def events(meeting_id: int, kind: str) -> dict:
    """The seqs of a meeting's logged events of one kind: what clients must all end up with."""
    from deliberation.models import MeetingEvent

    rows = MeetingEvent.objects.filter(meeting_id=meeting_id, kind=kind).order_by("seq")
    return {"seqs": list(rows.values_list("seq", flat=True))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixture")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--out", required=True)
    sub.add_parser("meeting")
    p = sub.add_parser("matters")
    p.add_argument("--n", type=int, required=True)
    p = sub.add_parser("count")
    p.add_argument("--poll", type=int, required=True)
    p = sub.add_parser("codes")
    p.add_argument("--meeting", type=int, required=True)
    p.add_argument("--n", type=int, required=True)
    p = sub.add_parser("checkins")
    p.add_argument("--meeting", type=int, required=True)
    p = sub.add_parser("events")
    p.add_argument("--meeting", type=int, required=True)
    p.add_argument("--kind", required=True)
    args = parser.parse_args(argv)
    _django()
    if args.command == "setup":
        result = setup(args.n, args.out)
    elif args.command == "meeting":
        result = meeting()
    elif args.command == "matters":
        result = matters(args.n)
    elif args.command == "codes":
        result = codes(args.meeting, args.n)
    elif args.command == "checkins":
        result = checkins(args.meeting)
    elif args.command == "events":
        result = events(args.meeting, args.kind)
    else:
        result = count(args.poll)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The database reader against the secret ballot.

An adversary holds a full dump of the database (every table, with PostgreSQL's `xmin` and
`ctid`, or SQLite's `rowid`) taken while an owners' secret vote is open, dumps after each ballot,
and another after it closes; they know the register (who owns which unit, of what area) and
when each person voted. Each attack below turns what it reads into a guess of each voter's
choice. Against this build every attack must do no better than chance. Against a deliberately
weakened build (the `weakened` parameter) the same attack must name every voter's choice, which
shows the test can fail.

24 owners with 24 different unit areas vote, 8 for each choice, in a shuffled order.
"""

import base64
import datetime as dt
import json
import random
import secrets
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from communities import audit
from communities import services as register
from communities.models import Unit
from deliberation import sealing, services
from deliberation.models import Poll, SealedUrn, SecretBallot
from deliberation.services import ballots as ballot_service
from deliberation.services import counting
from tests.factories import make_user
from tests.walks import OWNERS, elapse, fresh, propose

CHOICES = ("yes", "no", "abstain")
VOTERS = 24
CHANCE_BOUND = 16  # a random pairing gets about 8 of 24 right; 17 or more is a link
URN_OVERHEAD = 12 + 16  # an AES-GCM nonce and tag: what any sealed urn costs, known to all


def dump() -> dict[str, list[dict]]:
    """Every row of every table, with the storage columns a database administrator sees."""
    tables = connection.introspection.table_names()
    hidden = (
        "xmin::text AS sys_xmin, ctid::text AS sys_ctid, "
        if connection.vendor == "postgresql"
        else "rowid AS sys_rowid, "
    )
    result = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT {hidden}* FROM {connection.ops.quote_name(table)}")  # noqa: S608
            names = [column[0] for column in cursor.description]
            result[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return result


def storage_order(row) -> tuple:
    """The order a plain dump lists rows in: physical position (ctid) or rowid."""
    if "sys_ctid" in row:
        block, offset = row["sys_ctid"].strip("()").split(",")
        return int(block), int(offset)
    return (row["sys_rowid"],)


class Scene:
    """The open vote, as it unfolded and as the adversary can observe it."""

    def __init__(self, world, *, close=True, log_voters=False):
        admin, estate = world.admin, world.estate
        self.voters = [world.cast["owner"]]  # owns unit 101 (88.50 m²)
        for i, number in enumerate(("102", "201")):
            person = make_user(f"owner_b{i}")
            register.record_ownership(admin, estate.units.get(number=number), person)
            self.voters.append(person)
        for i in range(VOTERS - 3):
            unit = register.save_structure(
                admin,
                Unit(estate=estate, building="7", number=f"{i + 1:03d}",
                     area=Decimal("70.00") + Decimal(i) * Decimal("1.13")),
            )  # fmt: skip
            person = make_user(f"owner_c{i:02d}")
            register.record_ownership(admin, unit, person)
            self.voters.append(person)
        rng = random.Random(278)  # noqa: S311 - a fixed order of choices for the test
        picks = [CHOICES[i % 3] for i in range(VOTERS)]
        rng.shuffle(picks)
        self.truth = {voter.pk: pick for voter, pick in zip(self.voters, picks, strict=True)}
        chair = world.cast["oc_chair"]
        matter = propose(world, OWNERS)
        services.create_poll(
            chair, matter, question="续聘物业？", kind="yes_no_abstain", law_item=4, secret=True
        )
        matter = services.advance(chair, fresh(matter))
        matter = services.advance(chair, elapse(matter))
        self.poll = services.open_poll(chair, matter.polls.get())
        self.urns = []  # the urn's ciphertext after each ballot
        for voter in self.voters:
            services.cast_ballot(voter, self.poll, [self.truth[voter.pk]])
            if log_voters:  # a build whose audit log says who voted when
                audit.record(voter, "poll.voted", self.poll, community=world.community)
            self.urns.append(_urn_bytes())
        self.open_dump = dump()
        if close:
            services.close_poll(chair, Poll.objects.get(pk=self.poll.pk))
        self.closed_dump = dump()

    def table(self, which, dumped):
        return [r for r in dumped[which] if r.get("poll_id") == self.poll.pk]

    def receipts(self, dumped):
        return sorted(self.table("deliberation_voterreceipt", dumped), key=storage_order)

    def ballots(self, dumped):
        return sorted(self.table("deliberation_secretballot", dumped), key=storage_order)

    def areas(self, dumped) -> dict[int, str]:
        """What the register tells: each voter's total exclusive area."""
        units = {u["id"]: Decimal(str(u["area"])) for u in dumped["communities_unit"]}
        totals = {}
        for own in dumped["communities_ownership"]:
            if own["ended_at"] is None and own["owner_id"] in self.truth:
                totals[own["owner_id"]] = totals.get(own["owner_id"], 0) + units[own["unit_id"]]
        return {voter: f"{area:.2f}" for voter, area in totals.items()}

    def correct(self, guess: dict) -> int:
        return sum(1 for voter, pick in guess.items() if self.truth.get(voter) == pick)


def _urn_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM deliberation_sealedurn")
        rows = cursor.fetchall()
    return sum(len(base64.b64decode(row[0])) for row in rows)


def _choices_of(row) -> list:
    value = row["choices"]
    return json.loads(value) if isinstance(value, str) else value


# --- the attacks -----------------------------------------------------------------------------


def attack_weights(scene) -> dict:
    """Match any number stored beside a ballot's choices to a voter's unit area."""
    by_area = {area: voter for voter, area in scene.areas(scene.closed_dump).items()}
    guess = {}
    for row in scene.ballots(scene.closed_dump):
        values = [str(v) for v in row.values()] + [str(v) for v in _choices_of(row)]
        for value in values:
            try:
                key = f"{Decimal(value):.2f}"
            except ArithmeticError:
                continue
            if key in by_area:
                guess[by_area[key]] = next(c for c in _choices_of(row) if c in CHOICES)
    return guess


def attack_lengths(scene) -> dict:
    """Read how much the sealed data grew with each ballot; sort the growths by the length of
    the choice they would encode."""
    growth = [b - a for a, b in zip([URN_OVERHEAD, *scene.urns], scene.urns, strict=False)]
    sizes = sorted(set(growth))
    if len(sizes) < 2:
        return {}
    ranked = sorted(CHOICES, key=len)  # no < yes < abstain
    order = [r["voter_id"] for r in scene.receipts(scene.open_dump)]
    return {
        voter: ranked[min(sizes.index(size), len(ranked) - 1)]
        for voter, size in zip(order, growth, strict=True)
    }


def attack_xmin(scene) -> dict:
    """Join each receipt to the ballot rows written by the same transaction (PostgreSQL)."""
    guess = {}
    for dumped in (scene.open_dump, scene.closed_dump):
        writers = {}
        for row in scene.ballots(dumped):
            writers.setdefault(row["sys_xmin"], []).append(row)
        for receipt in scene.receipts(dumped):
            rows = writers.get(receipt["sys_xmin"], [])
            if len(rows) == 1:
                guess[receipt["voter_id"]] = _choices_of(rows[0])[0]
    return guess


def attack_row_order(scene) -> dict:
    """Pair receipts and ballots as a plain dump lists them (ctid / rowid order)."""
    receipts = scene.receipts(scene.closed_dump)
    ballots = scene.ballots(scene.closed_dump)
    return {r["voter_id"]: _choices_of(b)[0] for r, b in zip(receipts, ballots, strict=False)}


def attack_timestamps(scene) -> dict:
    """Order the voters by the time anything records of their voting, and pair them with the
    ballots in stored order."""
    times = {}
    for row in scene.closed_dump["communities_auditevent"]:
        if row["actor_id"] in scene.truth and row["verb"] == "poll.voted":
            if str(row["object_id"]) == str(scene.poll.pk):
                times[row["actor_id"]] = row["created_at"]
    if not times:
        return {}
    voters = sorted(times, key=times.get)
    ballots = scene.ballots(scene.closed_dump)
    return {v: _choices_of(b)[0] for v, b in zip(voters, ballots, strict=False)}


# --- the weakened builds ---------------------------------------------------------------------


class _NoShuffle:
    def shuffle(self, items):
        return None

    def randrange(self, n):
        return n - 1


def weaken_weights(monkeypatch):
    """Keep each ballot's weight beside its choices after close."""

    def close(poll):
        votes = counting.sealed_votes(poll)
        SecretBallot.objects.bulk_create(
            [SecretBallot(poll=poll, choices=[*sorted(v.choices), str(v.area)]) for v in votes]
        )
        SealedUrn.objects.filter(poll=poll).delete()
        return counting.evaluate(poll, votes)

    monkeypatch.setattr(counting, "close_secret", close)


def weaken_lengths(monkeypatch):
    """An unpadded ballot: its record grows with the choice's position."""
    pack = sealing.pack

    def unpadded(positions, weight):
        return pack(positions, weight) + b"#" * len(CHOICES[positions[0]])

    monkeypatch.setattr(sealing, "pack", unpadded)


def weaken_xmin(monkeypatch):
    """Write each secret ballot as a plain row in the casting transaction."""

    def store(poll, entries):
        codes = list(poll.choices.values_list("code", flat=True))
        SecretBallot.objects.bulk_create(
            [
                SecretBallot(poll=poll, choices=[codes[p] for p in sealing.unpack(e)[0]])
                for e in entries
            ]
        )

    monkeypatch.setattr(ballot_service, "store_sealed", store)
    # Its close has no urn to open: the plain rows are the ballots.
    monkeypatch.setattr(counting, "close_secret", lambda poll: counting.evaluate(poll, []))


def weaken_order(monkeypatch):
    """Keep the ballots in the order they were cast: no mixing, no shuffle, sequential keys."""
    monkeypatch.setattr(secrets, "SystemRandom", _NoShuffle)
    counter = iter(range(1, 10**6))
    monkeypatch.setattr(SecretBallot._meta.pk, "_get_default", lambda: next(counter))


def weaken_timestamps(monkeypatch):
    weaken_order(monkeypatch)


ATTACKS = {
    "weights": (attack_weights, weaken_weights, {}),
    "lengths": (attack_lengths, weaken_lengths, {"close": False}),
    "xmin": (attack_xmin, weaken_xmin, {}),
    "row order": (attack_row_order, weaken_order, {}),
    "timestamps": (attack_timestamps, weaken_timestamps, {"log_voters": True}),
}


@pytest.mark.parametrize("weakened", [False, True], ids=["this build", "weakened"])
@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_database_reader_links_no_secret_ballot_to_its_voter(world, monkeypatch, name, weakened):
    if name == "xmin" and connection.vendor != "postgresql":
        pytest.skip("xmin is PostgreSQL's; CI runs this suite on PostgreSQL too")
    attack, weaken, scene_options = ATTACKS[name]
    if weakened:
        weaken(monkeypatch)
        scene = Scene(world, **scene_options)
        assert scene.correct(attack(scene)) == VOTERS, f"{name}: the weakened build held"
        return
    scene = Scene(world, **{k: v for k, v in scene_options.items() if k == "close"})
    assert scene.correct(attack(scene)) <= CHANCE_BOUND, name


def test_the_urn_grows_by_one_fixed_record_per_ballot_whatever_the_choice_and_weight(world):
    scene = Scene(world, close=False)
    growth = {b - a for a, b in zip(scene.urns, scene.urns[1:], strict=False)}
    assert growth == {sealing.ENTRY.size}
    # And a multiple-choice ballot with a huge weight is the same size as a one-choice one.
    assert len(sealing.pack([0, 1, 2, 19], Decimal("9999999.99"))) == sealing.ENTRY.size
    assert len(sealing.pack([2], Decimal(0))) == sealing.ENTRY.size


def test_after_close_no_row_carries_a_weight_and_the_totals_are_frozen(world):
    scene = Scene(world)
    poll = Poll.objects.get(pk=scene.poll.pk)
    assert not scene.table("deliberation_sealedurn", scene.closed_dump)
    assert all(set(row) <= {"id", "poll_id", "choices", "sys_xmin", "sys_ctid", "sys_rowid"}
               for row in scene.ballots(scene.closed_dump))  # fmt: skip
    areas = scene.areas(scene.closed_dump)
    for code in CHOICES:
        voters = [v for v, pick in scene.truth.items() if pick == code]
        expected = sum(Decimal(areas[v]) for v in voters)
        assert Decimal(poll.result["counts"][code]["area"]) == expected
        assert poll.result["counts"][code]["heads"] == len(voters)
    assert services.tally(poll) == poll.result  # the headcount recounted from the ballots
    ballot = SecretBallot.objects.filter(poll=poll, choices=["yes"]).first()
    SecretBallot.objects.filter(pk=ballot.pk).update(choices=["no"])
    assert services.tally(Poll.objects.get(pk=poll.pk)) != poll.result  # a changed ballot shows


def test_the_audit_log_holds_no_per_voter_timing_for_a_secret_vote(world):
    scene = Scene(world)
    since = scene.poll.opened_at
    verbs = {
        (row["actor_id"], row["verb"])
        for row in scene.closed_dump["communities_auditevent"]
        if row["created_at"] and _aware(row["created_at"]) >= since
    }
    assert not {actor for actor, _verb in verbs} & set(scene.truth)


def _aware(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


@pytest.mark.parametrize("weakened", [False, True], ids=["this build", "weakened"])
def test_an_urn_put_back_from_earlier_is_refused_at_the_count(world, monkeypatch, weakened):
    """A database *writer* replaces the urn with an earlier ciphertext of it (valid under the
    key, but missing the last ballots): the close refuses to count it."""
    scene = Scene(world, close=False)
    chair = world.cast["oc_chair"]
    final = SealedUrn.objects.get(poll=scene.poll).sealed
    # The urn as it stood after 20 of the 24 ballots, replayed over the current one.
    earlier = sealing.seal(scene.poll.pk, sealing.unseal(scene.poll.pk, final)[:20])
    SealedUrn.objects.filter(poll=scene.poll).update(sealed=earlier)
    poll = Poll.objects.get(pk=scene.poll.pk)
    if weakened:  # a close that counts whatever the urn holds, never asking the receipts
        fake = type(
            "Receipts", (), {"objects": type("M", (), {"filter": lambda **kw: _Counted(20)})}
        )
        monkeypatch.setattr(counting, "VoterReceipt", fake)
        closed = services.close_poll(chair, poll)
        assert closed.result["participation"]["heads"] == 20  # four ballots silently lost
        return
    with translation.override("en"), pytest.raises(ValidationError, match="match the receipts"):
        services.close_poll(chair, poll)
    assert Poll.objects.get(pk=poll.pk).is_open


class _Counted:
    """A stand-in receipts query that agrees with whatever the urn holds."""

    def __init__(self, n):
        self.n = n

    def values(self, *args):
        return self

    def distinct(self):
        return self

    def count(self):
        return self.n

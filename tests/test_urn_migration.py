"""The migration that moves open polls' one-row-per-ballot sealed ballots into one urn per poll
keeps every ballot: the same choices and weights come out of the urn."""

import base64
import json
import os
from decimal import Decimal
from importlib import import_module

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from deliberation import sealing, services
from deliberation.models import Choice, SealedUrn
from tests.walks import FOUR, propose, walk_to

migration = import_module("deliberation.migrations.0005_secret_ballots_in_one_urn")


def _seal_v1(poll_id, payload) -> str:
    """A ballot sealed as the build before the urn did: JSON, one row each."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"gongzhi secret ballots v1"
    ).derive(settings.SECRET_KEY.encode())
    nonce = os.urandom(12)
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return base64.b64encode(
        nonce + AESGCM(key).encrypt(nonce, data, str(poll_id).encode())
    ).decode()


class _Rows:
    """The old `SealedBallot` table, as the migration's historical model would read it."""

    def __init__(self, rows):
        self.rows = rows

    def values_list(self, field, flat=False):
        values = [row[field] for row in self.rows]
        return _Values(values)

    def filter(self, poll_id):
        return _Rows([row for row in self.rows if row["poll_id"] == poll_id])

    def all(self):
        return self

    def delete(self):
        self.rows.clear()


class _Values(list):
    def distinct(self):
        return _Values(dict.fromkeys(self))


class _Apps:
    def __init__(self, rows):
        self.legacy = type("SealedBallot", (), {"objects": _Rows(rows)})

    def get_model(self, app, name):
        return {"SealedBallot": self.legacy, "SealedUrn": SealedUrn, "Choice": Choice}[name]


def test_open_polls_keep_every_ballot_through_the_move_to_one_urn(world):
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(
        world.cast["rc_director"], matter, question="？", kind="yes_no_abstain", secret=True
    )
    cast = [(["yes"], "0"), (["abstain"], "0"), (["no"], "88.50"), (["yes"], "120.00")]
    rows = [
        {"poll_id": poll.pk, "sealed": _seal_v1(poll.pk, {"choices": c, "weight": w})}
        for c, w in cast
    ]
    migration.fill_urns(_Apps(rows), None)
    entries = sealing.unseal(poll.pk, SealedUrn.objects.get(poll=poll).sealed)
    codes = list(poll.choices.values_list("code", flat=True))
    got = sorted(
        ([codes[p] for p in positions], weight)
        for positions, weight in map(sealing.unpack, entries)
    )
    assert got == sorted((c, Decimal(w)) for c, w in cast)
    assert rows == []  # the old rows are gone

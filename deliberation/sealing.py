"""Secret ballots while their poll is open: one sealed urn per poll, so that the database cannot
link a ballot to its voter (deliberation/sealing.py; docs/secrecy.md tells the whole story).

A voter's receipt is written in the same transaction as their ballot (nothing acknowledged may
be lost), and a database records which transaction wrote each row: PostgreSQL's `xmin` and
`ctid`, and the order rows arrive in. A ballot row of its own, even encrypted, would share those
with its receipt, and its length could show the choice. So an open poll keeps all its ballots in
**one urn**: a single row holding one AES-GCM ciphertext of every ballot cast so far. Each cast
opens the urn, puts the new ballots at random places among the others, and seals it again under
a fresh nonce. What a reader of the database sees:

- one row per poll, rewritten by every cast: its `xmin` names only the last casting
  transaction, and its content is unreadable without the site's key (never in the database);
- a length of exactly `ENTRY.size` bytes per ballot (plus a constant), whatever was chosen,
  however many options, whatever the weight: a ballot is a fixed-size record, a bitmask of
  choice positions and the weight in hundredths of a square metre.

At close, `services.polls` opens the urn, counts it (heads, and area for owners' votes), freezes
the totals in the result, writes the ballots' choices shuffled into `SecretBallot` rows with no
weight, and deletes the urn, all in the closing transaction.
"""

import base64
import os
import secrets
import struct
from decimal import Decimal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"gongzhi secret ballots v2"
_NONCE_BYTES = 12
# One ballot: the chosen positions as a bitmask (a poll has at most 20 choices), and the weight
# in hundredths (an owner's exclusive area in m², 0 for a one-person-one-vote electorate).
ENTRY = struct.Struct(">IQ")
MAX_CHOICES = 32


def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())


def _keys() -> list[bytes]:
    # The current key first, then any fallbacks, so that rotating SECRET_KEY keeps open polls.
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_key(secret) for secret in secrets_]


def pack(positions, weight: Decimal) -> bytes:
    """One ballot as a fixed-size record: the chosen choice positions, and the weight."""
    mask = 0
    for position in positions:
        if not 0 <= position < MAX_CHOICES:
            raise ValueError(f"choice position {position} is out of range")
        mask |= 1 << position
    hundredths = int((Decimal(weight) * 100).to_integral_exact())
    return ENTRY.pack(mask, hundredths)


def unpack(entry: bytes) -> tuple[list[int], Decimal]:
    """The chosen positions and the weight of one packed ballot."""
    mask, hundredths = ENTRY.unpack(entry)
    positions = [p for p in range(MAX_CHOICES) if mask >> p & 1]
    return positions, Decimal(hundredths) / 100


def seal(poll_id: int, entries: list[bytes]) -> str:
    """Encrypt the urn of a poll: every packed ballot, bound to the poll."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, b"".join(entries), str(poll_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(poll_id: int, token: str) -> list[bytes]:
    """The packed ballots in a poll's urn; ValueError if it was altered or sealed elsewhere."""
    raw = base64.b64decode(token)
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for key in _keys():
        try:
            data = AESGCM(key).decrypt(nonce, sealed, str(poll_id).encode())
        except InvalidTag:
            continue
        return [data[i : i + ENTRY.size] for i in range(0, len(data), ENTRY.size)]
    raise ValueError("This urn cannot be opened with the site's keys.")


def mix_in(entries: list[bytes], new: list[bytes]) -> list[bytes]:
    """The urn's ballots with `new` ones each put at a uniformly random place among them, so the
    order inside the urn never tells who cast first."""
    urn = list(entries)
    rng = secrets.SystemRandom()
    for entry in new:
        urn.insert(rng.randrange(len(urn) + 1), entry)
    return urn

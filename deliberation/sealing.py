"""Sealing secret ballots until their poll closes, so the database cannot link them to voters.

A voter's receipt and their ballot are written in one transaction (nothing acknowledged may be
lost), and a database records which transaction wrote each row (PostgreSQL's xmin, and the order
rows arrive in). A plain ballot row written beside its receipt could therefore be joined back to
the voter. So the cast stores only a *sealed* ballot: AES-GCM ciphertext under a key derived
from the site's secret key, which is never in the database, with a random nonce and no
timestamp. At close, `services.close_poll` unseals every ballot of the poll, shuffles them and
writes them as plain `SecretBallot` rows in one transaction: all carry the same writer and a
random order, and the sealed rows are deleted. The anonymity set is everyone who voted.
"""

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"gongzhi secret ballots v1"
_NONCE_BYTES = 12


def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())


def _keys() -> list[bytes]:
    # The current key first, then any fallbacks, so that rotating SECRET_KEY keeps open polls.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_key(secret) for secret in secrets]


def seal(poll_id: int, payload: dict) -> str:
    """Encrypt one ballot's content, bound to its poll; the result reveals nothing but length."""
    nonce = os.urandom(_NONCE_BYTES)
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    sealed = AESGCM(_keys()[0]).encrypt(nonce, data, str(poll_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(poll_id: int, token: str) -> dict:
    """Decrypt a sealed ballot of this poll; ValueError if it was altered or sealed elsewhere."""
    raw = base64.b64decode(token)
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for key in _keys():
        try:
            return json.loads(AESGCM(key).decrypt(nonce, sealed, str(poll_id).encode()))
        except InvalidTag:
            continue
    raise ValueError("This sealed ballot cannot be opened with the site's keys.")

"""Domain events: how state changes reach the live transport without the domain importing it.

Services call `publish_on_commit`; the `realtime` app connects a receiver to `domain_event`
and moves the event to browsers. Nothing is sent if the transaction rolls back.
"""

from django.db import transaction
from django.dispatch import Signal

# Sent with: kind (str, e.g. "membership.requested"), community_id (int or None), data (dict).
domain_event = Signal()

# A resident's request to join was decided (verified or rejected), sent inside the deciding
# transaction so that a receiver's writes (the deliberation app's notice to the resident) commit
# or roll back with it. Sent with: membership (a Membership), verb ("membership.verified" or
# "membership.rejected"). A signal, because notices live in deliberation, which communities may
# not import.
membership_decided = Signal()

# What a person may see or do changed (membership, position, ownership, account flags), or one
# of their sessions ended: data {"user": id, "session": key or None}. Their open live sockets
# are checked again (realtime/sockets.py), on every process.
ACCESS_CHANGED = "access.changed"


def publish_on_commit(kind: str, *, community_id: int | None, data: dict) -> None:
    """Send `domain_event` once the current transaction commits (at once outside one)."""

    def send():
        domain_event.send_robust(sender=None, kind=kind, community_id=community_id, data=data)

    transaction.on_commit(send)


def access_changed(user_id: int, *, community_id: int | None = None, session_key=None) -> None:
    """Tell the live transport, on commit, that this person's access changed (or, with
    `session_key`, that this one session of theirs ended)."""
    publish_on_commit(
        ACCESS_CHANGED,
        community_id=community_id,
        data={"user": user_id, "session": session_key},
    )


def session_ended(sender, request, user, **kwargs) -> None:
    """`user_logged_out` receiver: the sockets this browser session opened lose their access.
    Django sends the signal before it flushes the session, so the key is still known here."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if user is not None and key:
        access_changed(user.pk, session_key=key)

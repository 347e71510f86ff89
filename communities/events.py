"""Domain events: how state changes reach the live transport without the domain importing it.

Services call `publish_on_commit`; the `realtime` app connects a receiver to `domain_event`
and moves the event to browsers. Nothing is sent if the transaction rolls back.
"""

from django.db import transaction
from django.dispatch import Signal

# Sent with: kind (str, e.g. "membership.requested"), community_id (int), data (dict).
domain_event = Signal()


def publish_on_commit(kind: str, *, community_id: int, data: dict) -> None:
    """Send `domain_event` once the current transaction commits (at once outside one)."""

    def send():
        domain_event.send_robust(sender=None, kind=kind, community_id=community_id, data=data)

    transaction.on_commit(send)

"""Moves domain events to the channel layer: the one bridge from the domain to browsers."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from communities.events import ACCESS_CHANGED, domain_event
from realtime.consumers import verification_group
from realtime.hub import group_name
from realtime.sockets import ACCESS_GROUP


def _group_send(group: str, message: dict) -> None:
    """Send to a group, and once more if that fails. After Redis restarts, each connection
    pooled before the outage fails on its first use ("Connection closed by server") and is
    replaced: without the second try the first event after an outage would reach no browser
    until a room hub's next check. A resent message is harmless (hubs drop a seq they have)."""
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - the transport's own errors; the second try raises
        async_to_sync(layer.group_send)(group, message)


@receiver(domain_event)
def forward_membership_events(sender, *, kind, community_id, data, **kwargs):
    if not kind.startswith("membership."):
        return
    _group_send(
        verification_group(community_id), {"type": "domain.event", "kind": kind, "data": data}
    )


@receiver(domain_event)
def forward_meeting_events(sender, *, kind, community_id, data, **kwargs):
    """Numbered meeting events and "something changed" notes go to the meeting's room hubs."""
    if kind not in ("meeting.event", "meeting.dirty"):
        return
    message = {"type": "room.event" if kind == "meeting.event" else "room.dirty", **data}
    _group_send(group_name(data["meeting"]), message)


@receiver(domain_event)
def forward_access_changes(sender, *, kind, community_id, data, **kwargs):
    """A person's access changed: one message to every process (each is one member of the
    access group), which checks that person's sockets there again (realtime/sockets.py)."""
    if kind != ACCESS_CHANGED:
        return
    _group_send(
        ACCESS_GROUP,
        {"type": "access.changed", "user": data["user"], "session": data.get("session")},
    )

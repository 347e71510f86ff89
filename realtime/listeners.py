"""Moves domain events to the channel layer: the one bridge from the domain to browsers."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from communities.events import domain_event
from realtime.consumers import verification_group
from realtime.hub import group_name


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

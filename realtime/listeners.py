"""Moves domain events to the channel layer: the one bridge from the domain to browsers."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from communities.events import domain_event
from realtime.consumers import verification_group
from realtime.hub import group_name


@receiver(domain_event)
def forward_membership_events(sender, *, kind, community_id, data, **kwargs):
    if not kind.startswith("membership."):
        return
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        verification_group(community_id), {"type": "domain.event", "kind": kind, "data": data}
    )


@receiver(domain_event)
def forward_meeting_events(sender, *, kind, community_id, data, **kwargs):
    """Numbered meeting events and "something changed" notes go to the meeting's room hubs."""
    if kind not in ("meeting.event", "meeting.dirty"):
        return
    message = {"type": "room.event" if kind == "meeting.event" else "room.dirty", **data}
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(group_name(data["meeting"]), message)

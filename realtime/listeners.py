"""Moves domain events to the channel layer: the one bridge from the domain to browsers."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from communities.events import domain_event
from realtime.consumers import verification_group


@receiver(domain_event)
def forward_membership_events(sender, *, kind, community_id, data, **kwargs):
    if not kind.startswith("membership."):
        return
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        verification_group(community_id), {"type": "domain.event", "kind": kind, "data": data}
    )

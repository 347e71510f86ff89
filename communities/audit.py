"""Writing the append-only audit log."""

from django.contrib.contenttypes.models import ContentType

from communities.models import AuditEvent


def _event(actor, verb: str, obj=None, *, community=None, data: dict | None = None):
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent(
        actor=actor,
        verb=verb,
        community=community,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
    )


def record(actor, verb: str, obj=None, *, community=None, data: dict | None = None) -> AuditEvent:
    """Append one audit event: who did what to which object, with any details in `data`."""
    event = _event(actor, verb, obj, community=community, data=data)
    event.save()
    return event


def record_many(entries) -> list[AuditEvent]:
    """Append many events in one insert: `entries` are (actor, verb, obj, community, data)."""
    events = [
        _event(actor, verb, obj, community=community, data=data)
        for actor, verb, obj, community, data in entries
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=500)

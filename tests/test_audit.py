"""The audit log is append-only: the ORM refuses changes, and so does the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from communities import audit
from communities.models import AuditEvent


def test_it_records_who_did_what_to_which_object(world):
    event = audit.record(world.admin, "test.acted", world.community, community=world.community)
    event.refresh_from_db()
    assert (event.actor, event.verb, event.object_repr) == (world.admin, "test.acted", "莲花社区")
    assert event.object_id == str(world.community.pk)


def test_it_refuses_to_change_an_event_through_the_orm(world):
    event = AuditEvent.objects.first()
    event.verb = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(verb="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_it_refuses_to_change_an_event_in_the_database(world):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE communities_auditevent SET verb = 'forged'")
    assert not AuditEvent.objects.filter(verb="forged").exists()


def test_it_refuses_to_delete_events_in_the_database(world):
    # SQLite lets only the test flush through (communities 0004, tests/conftest.py).
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM communities_auditevent")
    assert AuditEvent.objects.exists()


def test_it_audits_every_step_of_setting_up_the_cast(world):
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        "community.created", "estate.created", "unit.created", "organization.created",
        "position.appointed", "membership.requested", "membership.verified",
        "ownership.recorded",
    } <= verbs  # fmt: skip

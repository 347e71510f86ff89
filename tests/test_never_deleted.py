"""Matters and resolutions are never deleted: not through the ORM, and not even with raw SQL
(on SQLite too, where only the test flush gets through; tests/test_database_guards.py)."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from deliberation import services
from deliberation.models import Matter, Resolution


@pytest.fixture
def matter(world):
    return services.propose_matter(
        world.cast["party_secretary"], world.community, title="加装电梯", body="说明",
        category="facilities", procedure="four_deliberations",
    )  # fmt: skip


def test_it_refuses_to_delete_a_matter_through_the_orm(matter):
    with pytest.raises(TypeError, match="never deleted"):
        matter.delete()
    with pytest.raises(TypeError, match="never deleted"):
        Matter.objects.all().delete()
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_it_refuses_to_delete_resolutions_through_the_orm(db):
    with pytest.raises(TypeError, match="never deleted"):
        Resolution.objects.all().delete()


def test_it_refuses_raw_deletes(matter):
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM deliberation_matter WHERE id = %s", [matter.pk])
    assert Matter.objects.filter(pk=matter.pk).exists()

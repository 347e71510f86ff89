"""Make the audit log append-only in the database itself, not only in the ORM.

UPDATE is refused on every backend. DELETE is refused on PostgreSQL; test databases there are
emptied with TRUNCATE, which row triggers do not see. SQLite's flush deletes rows, so on SQLite
the ORM guard is what stops deletion.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER communities_auditevent_no_update
    BEFORE UPDATE ON communities_auditevent
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS communities_auditevent_no_update;"]

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION communities_auditevent_refuse() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER communities_auditevent_no_change
    BEFORE UPDATE OR DELETE ON communities_auditevent
    FOR EACH ROW EXECUTE FUNCTION communities_auditevent_refuse();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS communities_auditevent_no_change ON communities_auditevent;",
    "DROP FUNCTION IF EXISTS communities_auditevent_refuse();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("communities", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]

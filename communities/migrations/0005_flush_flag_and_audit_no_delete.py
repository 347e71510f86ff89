"""SQLite refuses DELETE on the audit log too, except during the test suite's flush.

SQLite's test flush empties tables with DELETE. A trigger on a main-database table cannot look at
a TEMP table, so the flag the flush sets is a row in a plain table, `gongzhi_flush_in_progress`,
that no model maps: the flush inserts it, deletes the rows and removes it in one transaction, so
no other connection ever sees it (tests/conftest.py). The guarded tables' triggers let a DELETE
through only while that row exists. PostgreSQL needs no flag: its flush is TRUNCATE, which row
triggers do not see and which the application's role may not run (docs/deploy.md).
"""

from django.db import migrations

FLUSH_FLAG = "gongzhi_flush_in_progress"

SQLITE_FORWARD = [
    f"CREATE TABLE IF NOT EXISTS {FLUSH_FLAG} (flag integer NOT NULL);",
    f"""
    CREATE TRIGGER communities_auditevent_no_delete
    BEFORE DELETE ON communities_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM {FLUSH_FLAG})
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS communities_auditevent_no_delete;",
    f"DROP TABLE IF EXISTS {FLUSH_FLAG};",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("communities", "0004_party_roll")]

    operations = [migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD))]

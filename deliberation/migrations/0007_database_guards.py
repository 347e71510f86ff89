"""What the record holds stays in the record, whatever SQL the application runs.

Triggers refuse:
- any change to a published resolution's text (and its rendering and number);
- DELETE of comments, named ballots, secret ballots, voter receipts, stage transitions, stances
  and polls (and, on SQLite, matters and resolutions, which 0002 guards on PostgreSQL).

Sealed ballots are not guarded: they are deleted when their poll closes.

On PostgreSQL the triggers refuse unconditionally; test databases are emptied with TRUNCATE,
which row triggers do not see, and the application's role may not TRUNCATE nor disable a trigger
because it does not own the tables (docs/deploy.md). On SQLite a DELETE goes through only while
the test flush's flag row exists (communities 0004, tests/conftest.py).

SQLite drops a table's triggers when Django rebuilds the table (some AlterField operations):
tests/test_database_guards.py checks that every trigger below still exists after all migrations.
"""

from django.db import migrations

FLUSH_FLAG = "gongzhi_flush_in_progress"  # communities 0004

# table -> the message a refused DELETE gives
NO_DELETE = {
    "deliberation_comment": "comments are hidden with a reason, never deleted",
    "deliberation_ballot": "ballots are never deleted",
    "deliberation_secretballot": "secret ballots are never deleted",
    "deliberation_voterreceipt": "voter receipts are never deleted",
    "deliberation_transition": "stage transitions are never deleted",
    "deliberation_stance": "stances are superseded, never deleted",
    "deliberation_poll": "polls are never deleted",
}
# PostgreSQL has had these since 0002; SQLite gets them now that its flush can pass.
SQLITE_ONLY_NO_DELETE = {
    "deliberation_matter": "matters and resolutions are never deleted; close them with a reason",
    "deliberation_resolution": (
        "matters and resolutions are never deleted; close them with a reason"
    ),
}
RESOLUTION_FIXED = "a published resolution keeps its text and number"
RESOLUTION_COLUMNS = ("text", "text_html", "reference")

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION deliberation_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = TG_ARGV[0];
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION deliberation_refuse_change('{message}');
        """
        for table, message in NO_DELETE.items()
    ],
    f"""
    CREATE TRIGGER deliberation_resolution_text_fixed
    BEFORE UPDATE OF {", ".join(RESOLUTION_COLUMNS)} ON deliberation_resolution
    FOR EACH ROW WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in RESOLUTION_COLUMNS)})
    EXECUTE FUNCTION deliberation_refuse_change('{RESOLUTION_FIXED}');
    """,
]
POSTGRES_BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};" for table in NO_DELETE],
    "DROP TRIGGER IF EXISTS deliberation_resolution_text_fixed ON deliberation_resolution;",
    "DROP FUNCTION IF EXISTS deliberation_refuse_change();",
]

SQLITE_FORWARD = [
    *[
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        WHEN NOT EXISTS (SELECT 1 FROM {FLUSH_FLAG})
        BEGIN SELECT RAISE(ABORT, '{message}'); END;
        """
        for table, message in {**NO_DELETE, **SQLITE_ONLY_NO_DELETE}.items()
    ],
    f"""
    CREATE TRIGGER deliberation_resolution_text_fixed
    BEFORE UPDATE OF {", ".join(RESOLUTION_COLUMNS)} ON deliberation_resolution
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in RESOLUTION_COLUMNS)}
    BEGIN SELECT RAISE(ABORT, '{RESOLUTION_FIXED}'); END;
    """,
]
SQLITE_BACKWARD = [
    *[
        f"DROP TRIGGER IF EXISTS {table}_no_delete;"
        for table in {**NO_DELETE, **SQLITE_ONLY_NO_DELETE}
    ],
    "DROP TRIGGER IF EXISTS deliberation_resolution_text_fixed;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0005_flush_flag_and_audit_no_delete"),
        ("deliberation", "0006_rendered_markdown_stored"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]

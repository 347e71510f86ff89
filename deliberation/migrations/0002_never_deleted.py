"""Matters and resolutions are never deleted: refuse DELETE in the database itself.

On PostgreSQL a row trigger refuses DELETE (test databases are emptied with TRUNCATE, which row
triggers do not see). SQLite's test flush deletes rows, so there the ORM guard in
`deliberation.models.NeverDeleted` is what stops deletion.
"""

from django.db import migrations

TABLES = ("deliberation_matter", "deliberation_resolution")

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION deliberation_refuse_delete() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'matters and resolutions are never deleted; close them with a reason';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION deliberation_refuse_delete();
        """
        for table in TABLES
    ],
]
POSTGRES_BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};" for table in TABLES],
    "DROP FUNCTION IF EXISTS deliberation_refuse_delete();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]

    operations = [migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD))]

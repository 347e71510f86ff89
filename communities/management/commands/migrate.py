"""`manage.py migrate`, as the role that owns the tables when MIGRATE_DATABASE_URL is set.

The application's own role may not create, alter or truncate tables, nor disable their triggers
(docs/deploy.md); the settings then add a `migrate` database alias, which this makes the
default of `--database`. Everything else is Django's own command.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS

MIGRATE_ALIAS = "migrate"


class Command(MigrateCommand):
    def add_arguments(self, parser):
        """Django's arguments, with `--database migrate` by default where that alias exists."""
        super().add_arguments(parser)
        if MIGRATE_ALIAS in settings.DATABASES:
            parser.set_defaults(database=MIGRATE_ALIAS)
        else:
            parser.set_defaults(database=DEFAULT_DB_ALIAS)

"""Compile the project's .po files to .mo in pure Python, so no gettext tools are needed."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compiled_bytes(po_path: Path) -> bytes:
    """The .mo bytes for one .po file (fuzzy entries left out, as msgfmt does)."""
    po = polib.pofile(str(po_path))
    for entry in po.fuzzy_entries():
        entry.obsolete = True
    return po.to_binary()


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if any .mo file is missing or out of date, instead of writing it.",
        )

    def handle(self, *args, check=False, **options):
        stale = []
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                data = compiled_bytes(po_path)
                if mo_path.exists() and mo_path.read_bytes() == data:
                    continue
                stale.append(mo_path)
                if not check:
                    mo_path.write_bytes(data)
                    self.stdout.write(f"compiled {mo_path}")
        if check and stale:
            raise CommandError(
                "Out-of-date translations: "
                + ", ".join(map(str, stale))
                + ". Run: python manage.py compiletranslations"
            )
        if not stale:
            self.stdout.write("translations are up to date")

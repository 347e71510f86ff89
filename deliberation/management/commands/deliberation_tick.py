"""Periodic upkeep: close polls whose time is up and remind bodies of missed deadlines.

Run it every few minutes from cron or a systemd timer (see docs/deploy.md). It is safe to run
again at any time: a poll closes once, and each overdue matter is reminded at most once a day.
"""

from django.core.management.base import BaseCommand

from deliberation import services


class Command(BaseCommand):
    help = "Close polls past their closing time and send reminders for overdue matters."

    def handle(self, *args, **options):
        """Run both jobs and say what they did."""
        closed = services.close_due_polls()
        reminded = services.remind_overdue()
        self.stdout.write(f"closed {len(closed)} poll(s); reminded about {reminded} matter(s)")

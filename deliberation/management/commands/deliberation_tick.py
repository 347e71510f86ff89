"""Periodic upkeep: close polls whose time is up, remind bodies of missed deadlines, remind
those who have not voted before a poll closes, and try again the notices that failed.

Run it every few minutes from cron or a systemd timer (see docs/deploy.md); `make run` runs it
every minute beside daphne. It is safe to run again at any time: a poll closes once, each
overdue matter is reminded at most once a day, each poll's voters once, and a notice is tried
at most NOTICE_MAX_ATTEMPTS times.
"""

from django.core.management.base import BaseCommand

from deliberation import delivery, services


class Command(BaseCommand):
    help = "Close polls past their closing time, send reminders and retry failed notices."

    def handle(self, *args, **options):
        """Run the jobs and say what they did."""
        closed = services.close_due_polls()
        reminded = services.remind_overdue()
        polls = services.remind_non_voters()
        retried = delivery.retry_pending()
        self.stdout.write(
            f"closed {len(closed)} poll(s); reminded about {reminded} matter(s); "
            f"reminded the voters of {polls} poll(s); retried {retried} notice(s)"
        )

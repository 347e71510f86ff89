"""The notification fan-out: `python -m bench --fanout 5000`, or

    python -m bench.fanout [--n 5000] [--batch 200] [--out DIR]

It makes a throwaway site (SQLite in a temporary directory), an estate of N units each with an
owner who has an e-mail address, and a real SMTP server on 127.0.0.1 (aiosmtpd). Then it
times the two halves of notifying the whole electorate:

- the request: the owners' committee publishes the owners' notice (`services.advance`), which
  writes N notifications and their deliveries (in the app: sent; e-mail: queued) and, on
  commit, enqueues the sending tasks in the database queue (django-tasks);
- the worker: `manage.py db_worker --batch` sends the N e-mails in batches through Django's
  SMTP backend to the local server, logging each delivery as sent.

It checks that every owner has an in-app notice, that the server received N messages and that
N e-mail deliveries are logged as sent. No timing target fails it; the figures go to
docs/benchmarks.md by hand, with the command.
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.count += len(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _configure(var_dir: str, smtp_port: int, batch: int) -> None:
    os.environ.update(
        {
            "GONGZHI_VAR_DIR": var_dir,
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "NOTICE_BATCH_SIZE": str(batch),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()


def _estate_of(n: int):
    """A community, an estate of n units with one owner each (with an e-mail address), and the
    owners' committee's director; the bulk rows are a fixture, the matter goes through services."""
    from django.contrib.auth import get_user_model

    from communities import services as register
    from communities.models import Community, Estate, Organization, Ownership, Unit

    user_model = get_user_model()
    admin = user_model.objects.create_superuser(username="root", password=None)
    community = register.save_structure(
        admin,
        Community(name="莲花社区", slug="lianhua", code="LH", street="莲花街道", district="福田区"),
    )
    estate = register.save_structure(admin, Estate(community=community, name="莲花一村"))
    committee = register.save_structure(
        admin,
        Organization(community=community, kind="owners_committee", name="业委会", estate=estate),
    )
    chair = user_model.objects.create_user(username="oc_chair", password=None)
    register.appoint(admin, committee, chair, "director")
    per_building = 200
    units = Unit.objects.bulk_create(
        [
            Unit(
                estate=estate,
                building=str(i // per_building + 1),
                number=f"{i % per_building + 1:04d}",
                area=Decimal("88.50"),
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    owners = user_model.objects.bulk_create(
        [
            user_model(username=f"owner{i}", email=f"owner{i}@example.org", display_name=f"业主{i}")
            for i in range(n)
        ],
        batch_size=1000,
    )
    Ownership.objects.bulk_create(
        [
            Ownership(unit=unit, owner=owner, is_voter=True, recorded_by=admin)
            for unit, owner in zip(units, owners, strict=True)
        ],
        batch_size=1000,
    )
    return community, estate, chair


def run(n: int, batch: int) -> dict:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    var_dir = tempfile.mkdtemp(prefix="gongzhi-fanout-")
    try:
        _configure(var_dir, smtp_port, batch)
        from django.core.management import call_command

        from deliberation import services
        from deliberation.models import Delivery, Notification

        call_command("migrate", verbosity=0)
        print(f"Preparing an estate of {n} owners…", flush=True)
        community, estate, chair = _estate_of(n)
        matter = services.propose_matter(
            chair,
            community,
            title="续聘物业服务企业",
            body="业主委员会提议续聘现物业服务企业三年。",
            category="property",
            procedure="owners_joint_decision",
            estate=estate,
        )
        services.create_poll(
            chair, matter, question="是否同意续聘？", kind="yes_no_abstain", law_item=4
        )
        from django_tasks_db.models import DBTaskResult

        print("The request: publishing the owners' notice…", flush=True)
        started = time.perf_counter()
        services.advance(chair, matter)  # commits; the tasks are enqueued on commit
        request_s = time.perf_counter() - started
        told = Notification.objects.filter(matter=matter, kind="owners_notice").count()
        tasks = DBTaskResult.objects.count()
        sent_before = Delivery.objects.filter(channel="email", state="sent").count()
        print("The worker: sending the e-mails…", flush=True)
        started = time.perf_counter()
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        worker_s = time.perf_counter() - started
        emails = Delivery.objects.filter(channel="email", notification__kind="owners_notice")
        sent = emails.filter(state="sent").count()
        failed = emails.filter(state="failed").count()
        return {
            "n": n,
            "batch": batch,
            "request_s": round(request_s, 2),
            "tasks_enqueued": tasks,
            "sent_by_the_request": sent_before,
            "worker_s": round(worker_s, 2),
            "emails_per_s": round(sent / worker_s, 1) if worker_s else None,
            "owners_told_in_app": told,
            "emails_sent": sent,
            "emails_failed": failed,
            "smtp_received": inbox.count,
            "exact": told == n and sent == n and inbox.count == n and sent_before == 0,
            "database": "SQLite",
        }
    finally:
        controller.stop()


def main(argv=None, prog="python -m bench.fanout") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="owners to notify")
    parser.add_argument("--batch", type=int, default=200, help="e-mails per task")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    result = run(args.n, args.batch)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fanout.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["exact"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())

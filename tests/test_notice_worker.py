"""Through the real task queue: the request only stores the notices and enqueues on commit
(nothing is sent yet), and django-tasks' database worker (`manage.py db_worker`) sends them."""

import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from deliberation import notify
from deliberation.models import Delivery

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_tasks(settings, monkeypatch):
    settings.TASKS = DATABASE_TASKS
    # The worker closes stale connections between tasks, as a long-running process should; in
    # a test that would close the test's own database connection.
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


def test_the_request_enqueues_and_the_worker_sends(
    world, database_tasks, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_BATCH_SIZE = 2
    names = ["resident", "owner", "rc_director", "oc_chair", "ws_staff"]
    for name in names:
        world.cast[name].email = f"{name}@example.org"
        world.cast[name].save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify({world.cast[n].pk for n in names}, "overdue", data={"ref": "LH-1"})
    emails = Delivery.objects.filter(channel=Delivery.Channel.EMAIL)
    assert mailoutbox == [] and {d.state for d in emails} == {Delivery.State.QUEUED}
    assert DBTaskResult.objects.count() == 3  # five e-mails in batches of two
    run_worker()
    assert {d.state for d in emails.all()} == {Delivery.State.SENT}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"{n}@example.org" for n in names)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    run_worker()  # nothing left to do: nothing is sent twice
    assert len(mailoutbox) == len(names)

"""What the record holds stays in it, whatever SQL the application runs (deliberation migration
0004, communities 0004): the database itself refuses to delete comments, ballots, receipts, stage
transitions, stances and polls, and to change a published resolution's text. On PostgreSQL the
application's role, which does not own the tables, cannot get round them (docs/deploy.md).

Each attack is run twice: against the guards, where it must fail, and with the guard dropped
inside the test's transaction ("weakened"), where it must succeed, so the test can fail.
"""

import re
import secrets
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from communities.models import AuditEvent, Organization
from deliberation import services
from deliberation.models import (
    Ballot,
    Comment,
    Matter,
    Poll,
    Resolution,
    SealedUrn,
    SecretBallot,
    Stance,
    Transition,
    VoterReceipt,
)
from tests.conftest import FLUSH_FLAG
from tests.walks import FOUR, propose, walk_to

Kind = Organization.Kind
ROOT = Path(__file__).resolve().parent.parent

# What the migrations guard: model -> (table, the trigger that refuses its DELETE).
NEVER_DELETED = {
    Comment: "deliberation_comment",
    Ballot: "deliberation_ballot",
    SecretBallot: "deliberation_secretballot",
    VoterReceipt: "deliberation_voterreceipt",
    Transition: "deliberation_transition",
    Stance: "deliberation_stance",
    Poll: "deliberation_poll",
}
RESOLUTION_TRIGGER = "deliberation_resolution_text_fixed"


def expected_triggers(vendor: str) -> set[str]:
    names = {f"{table}_no_delete" for table in NEVER_DELETED.values()}
    names |= {RESOLUTION_TRIGGER, "deliberation_matter_no_delete"}
    names.add("deliberation_resolution_no_delete")
    if vendor == "postgresql":
        names.add("communities_auditevent_no_change")  # UPDATE and DELETE, communities 0002
    else:
        names |= {"communities_auditevent_no_update", "communities_auditevent_no_delete"}
    return names


def triggers_in_database() -> dict[str, str]:
    """Trigger name -> table, as the database has them now."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
            )
        return dict(cursor.fetchall())


def drop_trigger(name: str, table: str) -> None:
    """Weaken the build inside the test's transaction (both backends roll DDL back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {name}")
        else:
            cursor.execute(f"DROP TRIGGER {name} ON {table}")


@pytest.fixture
def record(world):
    """A 四议两公开 matter with all that the guards keep: a comment and a stance, stage
    transitions, a named poll with ballots, a secret poll closed (receipts and secret ballots)
    and a published resolution."""
    cast = world.cast
    social = world.orgs[Kind.SOCIAL_ORGANIZATION]
    matter = walk_to(world, propose(world, FOUR, stakeholders=[social]), "decision")
    services.post_comment(cast["resident"], matter, body="支持加装。")
    services.state_stance(cast["so_member"], matter, social, position="support", statement="支持")
    secret = services.create_poll(
        cast["rc_director"], matter, question="是否同意？", kind="yes_no_abstain", secret=True
    )
    for name in ("resident", "owner"):
        services.cast_ballot(cast[name], secret, ["yes"])
    services.close_poll(cast["rc_director"], secret)
    # That vote was counted and passed: the stage moves on (it is not held again).
    services.advance(cast["rc_director"], Matter.objects.get(pk=matter.pk))
    matter = walk_to(world, matter, "implementation")
    assert not SealedUrn.objects.exists()  # deleted at close: the guards leave it be
    for model in NEVER_DELETED:
        assert model.objects.exists(), model
    return Matter.objects.get(pk=matter.pk)


def attempt(sql: str, params=()) -> str:
    """Run one statement in a savepoint: "refused" if the database raises, else "done"."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return "refused"
    return "done"


def test_it_has_every_guard_after_all_migrations(db):
    # SQLite drops a table's triggers when a migration rebuilds the table; this notices.
    present = triggers_in_database()
    assert expected_triggers(connection.vendor) <= set(present)
    for model, table in NEVER_DELETED.items():
        assert present[f"{table}_no_delete"] == model._meta.db_table


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
@pytest.mark.parametrize("model", list(NEVER_DELETED), ids=lambda m: m.__name__)
def test_it_refuses_to_delete_the_record_even_in_raw_sql(record, model, weakened):
    table = NEVER_DELETED[model]
    before = model.objects.count()
    pk = model.objects.values_list("pk", flat=True).first()
    with transaction.atomic():  # rolled back: the weakened build's deletes break foreign keys
        if weakened:
            drop_trigger(f"{table}_no_delete", table)
        result = attempt(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608 - our names
        after = model.objects.count()
        transaction.set_rollback(True)
    assert result == ("done" if weakened else "refused")
    assert after == before - (1 if weakened else 0)


@pytest.mark.parametrize("model", list(NEVER_DELETED), ids=lambda m: m.__name__)
def test_it_refuses_to_delete_the_record_through_the_orm(record, model):
    before = model.objects.count()
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        # _raw_delete: the ORM's bulk DELETE, without the collector's PROTECT checks.
        model.objects.all()._raw_delete(connection.alias)
    assert model.objects.count() == before


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
@pytest.mark.parametrize("column", ["text", "text_html", "reference"])
def test_it_refuses_to_change_a_published_resolution(record, column, weakened):
    if weakened:
        drop_trigger(RESOLUTION_TRIGGER, "deliberation_resolution")
    resolution = Resolution.objects.get(matter=record)
    sql = f"UPDATE deliberation_resolution SET {column} = %s WHERE id = %s"  # noqa: S608
    assert attempt(sql, ["决议：不同意。", resolution.pk]) == ("done" if weakened else "refused")
    changed = Resolution.objects.get(pk=resolution.pk)
    assert (getattr(changed, column) == "决议：不同意。") is weakened


def test_it_still_lets_a_resolution_record_its_implementation(record):
    resolution = Resolution.objects.get(matter=record)
    resolution.status = Resolution.Status.IN_PROGRESS
    resolution.save()  # every column rewritten, the text unchanged: allowed
    assert Resolution.objects.get(pk=resolution.pk).status == Resolution.Status.IN_PROGRESS


def test_it_refuses_to_delete_matters_resolutions_and_audit_events_in_sql(record):
    for table in ("deliberation_matter", "deliberation_resolution", "communities_auditevent"):
        assert attempt(f"DELETE FROM {table}") == "refused", table  # noqa: S608
    assert Matter.objects.exists() and Resolution.objects.exists() and AuditEvent.objects.exists()


def test_it_lets_only_the_test_flush_through_on_sqlite(record):
    if connection.vendor != "sqlite":
        # PostgreSQL's flush is TRUNCATE, which the application's role may not run (below).
        assert connection.vendor == "postgresql"
        return
    assert attempt("DELETE FROM deliberation_comment") == "refused"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FLUSH_FLAG} (flag) VALUES (1)")  # noqa: S608
        assert attempt("DELETE FROM deliberation_comment") == "done"
        transaction.set_rollback(True)
    assert Comment.objects.exists()


# PostgreSQL: the application's role, as docs/deploy.md sets it up ----------------------------


def deploy_grants(owner: str, app: str) -> list[str]:
    """The statements of docs/deploy.md's grants block, for these role names."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    block = re.search(r"```sql\n-- The application's role.*?\n(.*?)```", text, re.S)
    assert block, "docs/deploy.md has no ```sql block of the application's grants"
    sql = block.group(1).replace("gongzhi_owner", owner).replace("gongzhi_app", app)
    lines = [line for line in sql.splitlines() if line.strip() and not line.startswith("--")]
    return [s.strip() for s in " ".join(lines).split(";") if s.strip()]


@pytest.fixture
def app_role():
    """A login role with exactly the grants docs/deploy.md gives the application, on the test
    database (whose tables the test user owns, as the migration role owns them in production)."""
    if connection.vendor != "postgresql":
        yield None
        return
    import psycopg

    settings = connection.settings_dict
    name = f"gongzhi_app_test_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    place = {"host": settings["HOST"] or None, "port": settings["PORT"] or None}
    admin = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
        autocommit=True, **place,
    )  # fmt: skip
    try:
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        for statement in deploy_grants(settings["USER"], name):
            admin.execute(statement)
        app = psycopg.connect(
            dbname=settings["NAME"], user=name, password=password, autocommit=True, **place
        )
        try:
            yield app
        finally:
            app.close()
    finally:
        admin.execute(f"DROP OWNED BY {name}")
        admin.execute(f"DROP ROLE {name}")
        admin.close()


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_get_round_the_guards(world, app_role):
    # Committed rows of guarded tables: on SQLite the flush after this test must get past them.
    comment = services.post_comment(world.cast["resident"], propose(world, FOUR), body="删不掉。")
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"  # SQLite has no roles: whoever can write, owns
        return
    import psycopg

    # What the application needs works: reading, writing and its sequences.
    assert app_role.execute("SELECT count(*) FROM deliberation_comment").fetchone() == (1,)
    app_role.execute("UPDATE deliberation_comment SET body = body WHERE id = %s", [comment.pk])
    app_role.execute(
        "INSERT INTO django_session (session_key, session_data, expire_date) "
        "VALUES ('k', 'd', now())"
    )
    app_role.execute("DELETE FROM django_session WHERE session_key = 'k'")
    # What would get round the triggers does not.
    attacks = {
        "delete": "DELETE FROM deliberation_comment",
        "truncate": "TRUNCATE deliberation_comment CASCADE",
        "disable": "ALTER TABLE deliberation_comment DISABLE TRIGGER ALL",
        "drop": "DROP TRIGGER deliberation_comment_no_delete ON deliberation_comment",
        "replica": "SET session_replication_role = replica",
    }
    refused = {}
    for name, sql in attacks.items():
        try:
            app_role.execute(sql)
        except psycopg.Error as error:
            refused[name] = str(error).splitlines()[0]
    assert set(refused) == set(attacks), refused
    assert "never deleted" in refused["delete"]
    assert Comment.objects.filter(pk=comment.pk).exists()

"""Settings come from the environment; bad values stop start-up with a clear message."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.env import env_bool, env_int, env_list, env_str, env_url

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
VARIABLES = [
    "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL", "REDIS_URL", "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_PRELOAD", "DJANGO_BEHIND_TLS_PROXY", "SQLITE_BUSY_TIMEOUT",
    "WEBSOCKET_MAX_FRAME_BYTES", "DJANGO_EMAIL_BACKEND", "EMAIL_PORT", "DATABASE_POOL_SIZE",
    "DATABASE_CONN_MAX_AGE", "LOGIN_FAILURE_LIMIT", "LOGIN_COOLOFF_MINUTES",
    "MIGRATE_DATABASE_URL",
]  # fmt: skip
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 10 + secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "gongzhi.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://gongzhi.example.org",
}


@pytest.fixture
def load(monkeypatch, tmp_path):
    """Evaluate config/settings.py afresh with exactly the given variables set."""

    def _load(**env):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GONGZHI_VAR_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return _load


# The typed helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "YES", "on", " True "])
def test_it_reads_true_booleans(raw):
    assert env_bool("X", False, env={"X": raw}) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_it_reads_false_booleans(raw):
    assert env_bool("X", True, env={"X": raw}) is False


@pytest.mark.parametrize("raw", ["2", "maybe", "ja", "t"])
def test_it_refuses_other_booleans(raw):
    with pytest.raises(ImproperlyConfigured, match="X must be a boolean"):
        env_bool("X", False, env={"X": raw})


def test_it_reads_integers_within_bounds():
    assert env_int("N", 5, env={}) == 5
    assert env_int("N", 5, env={"N": " 12 "}, minimum=1, maximum=20) == 12
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("N", 5, env={"N": "12s"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 5, env={"N": "0"}, minimum=1)
    with pytest.raises(ImproperlyConfigured, match="at most 20"):
        env_int("N", 5, env={"N": "21"}, maximum=20)


def test_it_reads_lists_and_strings():
    assert env_list("L", ["a"], env={}) == ["a"]
    assert env_list("L", [], env={"L": " a.org, ,b.org "}) == ["a.org", "b.org"]
    assert env_str("S", "d", env={}) == "d"
    with pytest.raises(ImproperlyConfigured, match="S must be set"):
        env_str("S", env={})


def test_it_checks_url_schemes():
    assert env_url("U", ("redis",), env={}) is None
    assert env_url("U", ("redis",), env={"U": "redis://h:6379/0"}) == "redis://h:6379/0"
    with pytest.raises(ImproperlyConfigured, match="redis://"):
        env_url("U", ("redis",), env={"U": "h:6379"})


# The settings module -------------------------------------------------------------------------


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(load):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load(DJANGO_DEBUG="0", ALLOWED_HOSTS="x.org")


def test_it_refuses_a_short_or_development_secret_key_in_production(load):
    with pytest.raises(ImproperlyConfigured, match="50"):
        load(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="short", ALLOWED_HOSTS="x.org")
    dev_key = load(DJANGO_DEBUG="1")["SECRET_KEY"]
    with pytest.raises(ImproperlyConfigured):
        load(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=dev_key, ALLOWED_HOSTS="x.org")


def test_it_refuses_to_start_without_allowed_hosts_in_production(load):
    env = {**PRODUCTION}
    del env["ALLOWED_HOSTS"]
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load(**env)


def test_it_refuses_a_bad_debug_value(load):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        load(DJANGO_DEBUG="perhaps")


def test_it_refuses_csrf_origins_without_a_scheme(load):
    with pytest.raises(ImproperlyConfigured, match="scheme"):
        load(DJANGO_DEBUG="1", CSRF_TRUSTED_ORIGINS="gongzhi.example.org")


def test_it_is_secure_by_default_in_production(load):
    s = load(**PRODUCTION)
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] and s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    # whitenoise's compressed manifest, rewriting ES module imports too (config/storage.py)
    storage = import_string(s["STORAGES"]["staticfiles"]["BACKEND"])
    assert issubclass(storage, CompressedManifestStaticFilesStorage)
    assert storage.support_js_module_import_aggregation


def test_it_allows_a_development_key_with_debug_on(load):
    s = load(DJANGO_DEBUG="1")
    assert s["SECRET_KEY"].startswith("django-insecure")
    assert "127.0.0.1" in s["ALLOWED_HOSTS"]
    assert s["SECURE_SSL_REDIRECT"] is False


def test_it_defaults_to_sqlite_in_wal_mode_with_a_busy_timeout(load, tmp_path):
    database = load(DJANGO_DEBUG="1")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]).parent == tmp_path
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] == 20
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_uses_postgresql_from_database_url(load):
    database = load(DJANGO_DEBUG="1", DATABASE_URL="postgres://u:p@db.internal:5433/gongzhi")[
        "DATABASES"
    ]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5433,
        "gongzhi",
    )


def test_it_pools_postgresql_connections_and_keeps_the_sqlite_one(load):
    url = "postgres://u:p@db.internal:5433/gongzhi"
    database = load(DJANGO_DEBUG="1", DATABASE_URL=url)["DATABASES"]["default"]
    assert database["OPTIONS"]["pool"]["max_size"] == 8
    assert database.get("CONN_MAX_AGE", 0) == 0  # Django refuses a pool with persistent ones
    database = load(DJANGO_DEBUG="1", DATABASE_URL=url, DATABASE_POOL_SIZE="0")["DATABASES"]
    assert "pool" not in database["default"].get("OPTIONS", {})
    sqlite = load(DJANGO_DEBUG="1")["DATABASES"]["default"]
    assert sqlite["CONN_MAX_AGE"] == 600 and sqlite["CONN_HEALTH_CHECKS"]


def test_it_migrates_as_the_owner_role_from_migrate_database_url(load):
    app = "postgres://gongzhi_app:p@db.internal:5433/gongzhi"
    owner = "postgres://gongzhi_owner:q@db.internal:5433/gongzhi"
    assert "migrate" not in load(DJANGO_DEBUG="1", DATABASE_URL=app)["DATABASES"]
    databases = load(DJANGO_DEBUG="1", DATABASE_URL=app, MIGRATE_DATABASE_URL=owner)["DATABASES"]
    assert (databases["default"]["USER"], databases["migrate"]["USER"]) == (
        "gongzhi_app",
        "gongzhi_owner",
    )
    assert databases["migrate"]["TEST"] == {"MIRROR": "default"}
    elsewhere = owner.replace("/gongzhi", "/other")
    with pytest.raises(ImproperlyConfigured, match="same host, port and database"):
        load(DJANGO_DEBUG="1", DATABASE_URL=app, MIGRATE_DATABASE_URL=elsewhere)
    with pytest.raises(ImproperlyConfigured, match="MIGRATE_DATABASE_URL"):
        load(DJANGO_DEBUG="1", MIGRATE_DATABASE_URL=owner)


def test_it_runs_migrate_through_the_owner_alias_when_there_is_one(monkeypatch):
    from types import SimpleNamespace

    from django.conf import settings
    from django.core.management import get_commands, load_command_class

    def default_database():
        command = load_command_class(get_commands()["migrate"], "migrate")
        return command.create_parser("manage.py", "migrate").parse_args([]).database

    assert default_database() == "default"
    with_owner = {**settings.DATABASES, "migrate": settings.DATABASES["default"]}
    monkeypatch.setattr(
        "communities.management.commands.migrate.settings", SimpleNamespace(DATABASES=with_owner)
    )
    assert default_database() == "migrate"


def test_it_refuses_an_unsupported_database_url(load):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        load(DJANGO_DEBUG="1", DATABASE_URL="mysql://u@h/db")


def test_it_uses_the_in_memory_layer_without_redis(load):
    s = load(DJANGO_DEBUG="1")
    assert s["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_it_uses_redis_for_channels_and_cache_from_redis_url(load):
    s = load(DJANGO_DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/3")
    layer = s["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == ["redis://127.0.0.1:6379/3"]
    assert s["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_it_refuses_a_redis_url_without_scheme(load):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        load(DJANGO_DEBUG="1", REDIS_URL="127.0.0.1:6379")


def test_it_speaks_chinese_first_in_shanghai_time(load):
    s = load(DJANGO_DEBUG="1")
    assert s["LANGUAGE_CODE"] == "zh-hans"
    assert [code for code, _name in s["LANGUAGES"]] == ["zh-hans", "en"]
    assert s["TIME_ZONE"] == "Asia/Shanghai"


def test_it_passes_the_deployment_check_with_production_settings(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in VARIABLES and not key.startswith("PYTEST")
    }
    env.update(PRODUCTION, GONGZHI_VAR_DIR=str(tmp_path), DJANGO_HSTS_PRELOAD="1")
    result = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_a_long_but_repetitive_secret_key(load):
    with pytest.raises(ImproperlyConfigured, match="random"):
        load(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="ab" * 30, ALLOWED_HOSTS="x.org")


def test_it_prints_notification_emails_unless_told_otherwise(load):
    assert load(**PRODUCTION)["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    configured = load(**PRODUCTION, DJANGO_EMAIL_BACKEND=smtp, EMAIL_PORT="587")
    assert (configured["EMAIL_BACKEND"], configured["EMAIL_PORT"]) == (smtp, 587)


def test_it_throttles_sign_in_by_default_and_as_told(load):
    from datetime import timedelta

    default = load(**PRODUCTION)
    assert default["AXES_FAILURE_LIMIT"] == 5
    assert default["AXES_COOLOFF_TIME"] == timedelta(minutes=15)
    told = load(**PRODUCTION, LOGIN_FAILURE_LIMIT="10", LOGIN_COOLOFF_MINUTES="60")
    assert (told["AXES_FAILURE_LIMIT"], told["AXES_COOLOFF_TIME"]) == (10, timedelta(hours=1))
    with pytest.raises(ImproperlyConfigured, match="LOGIN_COOLOFF_MINUTES"):
        load(**PRODUCTION, LOGIN_COOLOFF_MINUTES="0")
    with pytest.raises(ImproperlyConfigured, match="LOGIN_FAILURE_LIMIT"):
        load(**PRODUCTION, LOGIN_FAILURE_LIMIT="five")

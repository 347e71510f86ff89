"""Gongzhi settings: one module, driven by environment variables (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GONGZHI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)

# A development key is tolerated only with DEBUG on; production must bring its own.
_DEV_SECRET_KEY = "django-insecure-gongzhi-development-key-not-for-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a random string of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if "://" not in _origin:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entries need a scheme, e.g. https://{_origin}; got {_origin!r}."
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "guardian",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "communities",
    "deliberation",
    "realtime",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (with the page's own WebSocket origin) and Permissions-Policy.
    "config.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deliberation.views.boards.unread_count",
                "deliberation.views.inbox.inbox_count",
            ],
        },
    },
]

# Database: SQLite in var/ by default; PostgreSQL (or any dj-database-url URL) via DATABASE_URL.
_database_url = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE plus a busy timeout makes concurrent
    # writers wait their turn instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
        }
    )
    # Under daphne every database call runs on one thread (thread-sensitive sync_to_async), so a
    # kept connection is that thread's one connection. Opening one per call cost a fifth of a
    # live room's server time (bench/, docs/benchmarks.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Tests use a file too: the default in-memory test database shares a cache whose table locks
    # fail at once instead of waiting, so concurrency tests would not see what production sees.
    _sqlite_name = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": _sqlite_name.with_name(f"test_{_sqlite_name.name}")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's own pool, which Django supports under ASGI (persistent connections it advises
    # against); DATABASE_POOL_SIZE=0 turns it off and opens a connection per request.
    _pool_size = env_int("DATABASE_POOL_SIZE", 8, minimum=0)
    if _pool_size:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": _pool_size,
            "timeout": 10,
        }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# Migrations as the role that owns the tables; the application connects as one that does not,
# so it can neither TRUNCATE nor disable the triggers that keep the record (docs/deploy.md).
# `manage.py migrate` uses this alias when it exists (communities/management/commands/migrate.py).
_migrate_url = env_url("MIGRATE_DATABASE_URL", ("postgres", "postgresql"))
if _migrate_url:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("MIGRATE_DATABASE_URL needs a PostgreSQL DATABASE_URL.")
    _migrate = dj_database_url.parse(_migrate_url)
    _place = ("HOST", "PORT", "NAME")
    if [_migrate[k] for k in _place] != [DATABASES["default"][k] for k in _place]:
        raise ImproperlyConfigured(
            "MIGRATE_DATABASE_URL must name the same host, port and database as DATABASE_URL."
        )
    # Tests run against the default alias's test database only.
    DATABASES["migrate"] = {**_migrate, "TEST": {"MIRROR": "default"}}

# Community.settings holds thresholds, deadlines and caps; these check it when it is saved.
COMMUNITY_SETTINGS_VALIDATORS = ["deliberation.rules.validate_settings"]

# E-mail copies of notifications: printed to the console unless a real backend is configured.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "gongzhi@localhost")

# Notices leave the request through django-tasks: the request stores them (queued) and a worker
# (`manage.py db_worker`, which `make run` starts beside daphne) sends the e-mails and texts.
# The database backend is the embedded default; a Redis-backed one is the choice at scale.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Text messages: a class with `send(phone, text)` (communities/sms.py; docs/deploy.md). The
# default writes each message to the log.
SMS_BACKEND = env_str("SMS_BACKEND", "communities.sms.LogSMSBackend")
# How many e-mails/texts one task sends, and how often one is tried before it is marked failed.
NOTICE_BATCH_SIZE = env_int("NOTICE_BATCH_SIZE", 200, minimum=1)
NOTICE_MAX_ATTEMPTS = env_int("NOTICE_MAX_ATTEMPTS", 3, minimum=1)
# A failed attempt is tried again by the tick after this many seconds.
NOTICE_RETRY_AFTER_SECONDS = env_int("NOTICE_RETRY_AFTER_SECONDS", 120, minimum=0)
# The reminder to those who have not voted goes out this many hours before a poll closes.
POLL_REMINDER_HOURS = env_int("POLL_REMINDER_HOURS", 24, minimum=1)

# Channels: in-memory by default (one process); Redis via REDIS_URL for several processes.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Room hubs read one channel per meeting per process; give bursts room.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("REDIS_PREFIX", "gongzhi"),
                "capacity": 5000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Not under the channel layer's prefix, which channels_redis may flush wholesale.
            "KEY_PREFIX": "cache." + env_str("REDIS_PREFIX", "gongzhi"),
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "communities.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out login is refused before any password is checked; it only
    # watches logins and never signs anyone in (sessions name ModelBackend).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Anonymous visitors read public pages; they never hold object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "deliberation:inbox"  # 待我处理: what waits for them
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes), on the site's and the admin's login alike: after
# LOGIN_FAILURE_LIMIT failures a username is locked, and so, separately, is the address they came
# from, for LOGIN_COOLOFF_MINUTES. Behind the proxy daphne takes the address from
# X-Forwarded-For (deploy/Procfile's --proxy-headers).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner in every command's output
# The cool-off runs from the lockout: tries made while locked out neither count nor extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The lockout is the login form again, with the reason in the reader's language.
AXES_LOCKOUT_CALLABLE = "communities.lockout.lockout_response"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (ES module imports rewritten to the hashed
        # names too, config/storage.py); plain finders in development and tests.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.storage.ModuleManifestStaticFilesStorage"
    },
}

# In development whitenoise serves straight from the finders; production serves collected files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security: strict by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# Preloading is a deliberate, hard-to-undo choice per domain (docs/deploy.md); when it is left
# off, `check --deploy` must not fail on it, so its warning is silenced only in that case.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere (tests/test_no_inline_code.py keeps templates so); live
# pages also reach their own origin's WebSocket, which config/headers.py adds per request.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Powerful features nobody here needs are off for every page; the projector may go full screen.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), fullscreen=(self)"
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes tells of every login at INFO; failures and lockouts are its WARNINGs.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Live rooms: limits on what one person's WebSocket connections may send (the rate is shared by
# all of a person's sockets in a process; realtime/sockets.py), and how many they may hold.
WEBSOCKET_MAX_FRAME_BYTES = env_int("WEBSOCKET_MAX_FRAME_BYTES", 64 * 1024, minimum=1024)
WEBSOCKET_RATE_PER_SECOND = env_int("WEBSOCKET_RATE_PER_SECOND", 10, minimum=1)
WEBSOCKET_RATE_BURST = env_int("WEBSOCKET_RATE_BURST", 20, minimum=1)
WEBSOCKET_MAX_PER_PERSON = env_int("WEBSOCKET_MAX_PER_PERSON", 5, minimum=1)

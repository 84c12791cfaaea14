"""Settings, all taken from MUSICQUALITY_* environment variables (see README).

Three databases (docs/architecture.md): ``library`` is the user's existing Music Tools
``library_index.db``; ``default`` keeps Django's own state so the music database never
collects web-app rows; ``streaming`` is the legacy ``music_tools.db``, opened read-only.
"""

import datetime
import ipaddress
import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from musicquality.routers import APP_DB_ALIAS, LIBRARY_DB_ALIAS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    if not value:
        return default
    return Path(value).expanduser().resolve()


def _folder_exists_check(name: str, path: Path) -> None:
    """The app's own files (its database, the job queue) go in an existing folder: SQLite
    would only say "unable to open database file", and a command would blame the library."""
    if not path.parent.is_dir():
        raise ImproperlyConfigured(
            f"{name}={path}: folder {path.parent} does not exist: create it, or set {name} "
            "to a file in an existing folder"
        )


def _env_optional_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a whole number") from None
    if number < 1:
        raise ImproperlyConfigured(f"{name}={value!r}: give a number of at least 1")
    return number


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a number of seconds") from None
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name}={value!r}: give a positive number of seconds")
    return seconds


DEBUG = _env_flag("MUSICQUALITY_DEBUG", default=False)

SECRET_KEY = os.environ.get("MUSICQUALITY_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "MUSICQUALITY_SECRET_KEY is not set: set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set MUSICQUALITY_DEBUG=1 for local development"
        )
    SECRET_KEY = "insecure-development-key-only-used-when-MUSICQUALITY_DEBUG-is-on"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("MUSICQUALITY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "musicquality",
    "quality",
    "dedup",
    "upgrades",
    "imports",
    "overview",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "musicquality.middleware.LibraryDatabaseMiddleware",
    "musicquality.monitoring.middleware.LibraryQueryTimingMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "musicquality.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "musicquality.wsgi.application"

# --- databases -------------------------------------------------------------

LIBRARY_DB = _env_path("MUSICQUALITY_LIBRARY_DB", VAR_DIR / "library_index.db")
APP_DB = _env_path("MUSICQUALITY_APP_DB", VAR_DIR / "app.sqlite3")
STREAMING_DB = _env_optional_path("MUSICQUALITY_STREAMING_DB")
BACKUP_DIR = _env_optional_path("MUSICQUALITY_BACKUP_DIR")
QUARANTINE_DIR = _env_path("MUSICQUALITY_QUARANTINE_DIR", VAR_DIR / "quarantine")
LIBRARY_ROOTS = [
    Path(root).expanduser().resolve()
    for root in os.environ.get("MUSICQUALITY_LIBRARY_ROOTS", "").split(os.pathsep)
    if root.strip()
]
if APP_DB.parent == VAR_DIR:
    VAR_DIR.mkdir(exist_ok=True)
_folder_exists_check("MUSICQUALITY_APP_DB", APP_DB)
BUSY_TIMEOUT_SECONDS = _env_seconds("MUSICQUALITY_BUSY_TIMEOUT", 30.0)

LIBRARY_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 1,  # NORMAL
    "cache_size": -15000,
    "temp_store": 2,  # MEMORY
    "mmap_size": 33554432,
    "foreign_keys": 1,
}

DATABASES = {
    APP_DB_ALIAS: {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": APP_DB,
        "OPTIONS": {"timeout": BUSY_TIMEOUT_SECONDS, "transaction_mode": "IMMEDIATE"},
    },
    LIBRARY_DB_ALIAS: {
        # Django's SQLite backend, except that it never creates a missing library file.
        "ENGINE": "musicquality.library_backend",
        "NAME": LIBRARY_DB,
        # Kept open between requests: a new SQLite connection starts with a cold page cache.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "timeout": BUSY_TIMEOUT_SECONDS,
            "transaction_mode": "IMMEDIATE",
            "init_command": ";".join(
                f"PRAGMA {name}={value}" for name, value in LIBRARY_PRAGMAS.items()
            ),
        },
        "TEST": {"NAME": str(LIBRARY_DB.with_name(f"test_{LIBRARY_DB.name}"))},
    },
}
DATABASE_ROUTERS = ["musicquality.routers.LibraryRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# --- auth, i18n, static ----------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
#: musicquality/formats/en: ISO dates in the admin as on the pages (issue 17).
FORMAT_MODULE_PATH = ["musicquality.formats"]

STATIC_URL = "static/"
STATIC_ROOT = _env_path("MUSICQUALITY_STATIC_ROOT", BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"  # styled by static/musicquality/app.css

# --- deployment hardening (see README, "Deploying") ---------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _env_flag("MUSICQUALITY_HTTPS", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = 31536000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_HSTS_PRELOAD = SESSION_COOKIE_SECURE

# Failed logins (/login/ and /admin/login/): after MUSICQUALITY_LOGIN_FAILURE_LIMIT failures
# for one user name from one address, that pair is locked out for
# MUSICQUALITY_LOGIN_LOCKOUT_MINUTES (django-axes; `manage.py axes_reset` lifts it at once).
AXES_FAILURE_LIMIT = _env_int("MUSICQUALITY_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_env_int("MUSICQUALITY_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# The pages load only their own stylesheet and scripts (the admin's): no inline script or
# style, no other origin (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Django logs a failed request ("Internal Server Error: /path", with the traceback)
        # here; its own handler for it writes only with DEBUG on.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "musicquality": {"handlers": ["console"], "level": "WARNING"},
        "quality": {"handlers": ["console"], "level": "WARNING"},
        "dedup": {"handlers": ["console"], "level": "WARNING"},
        "upgrades": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- monitoring (README, "Monitoring"; docs/monitoring.md) ---------------------------------


def _env_positive(name: str, default: float, unit: str) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a number of {unit}") from None
    if number <= 0:
        raise ImproperlyConfigured(f"{name}={value!r}: give a positive number of {unit}")
    return number


METRICS_RETENTION_DAYS = _env_positive("MUSICQUALITY_METRICS_RETENTION_DAYS", 30, "days")
METRICS_SAMPLE_MINUTES = _env_positive("MUSICQUALITY_METRICS_SAMPLE_MINUTES", 5, "minutes")
METRICS_TOKEN = os.environ.get("MUSICQUALITY_METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = [
    address.strip()
    for address in os.environ.get("MUSICQUALITY_METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1").split(
        ","
    )
    if address.strip()
]
for _address in METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_address, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"MUSICQUALITY_METRICS_ALLOWED_ADDRESSES: {_address!r} is not an IP address or "
            "network: give e.g. 127.0.0.1,::1,10.0.0.0/8"
        ) from None
# The report's alerts (docs/report.md, §10.3); the names keep the report's figures.
ALERT_DB_SIZE_MB = _env_positive("MUSICQUALITY_ALERT_DB_SIZE_MB", 500, "MB")
ALERT_BACKLOG_FILES = _env_positive("MUSICQUALITY_ALERT_BACKLOG_FILES", 1000, "files")
ALERT_QUERY_MS = _env_positive("MUSICQUALITY_ALERT_QUERY_MS", 100, "milliseconds")
ALERT_WINDOW_MINUTES = _env_positive("MUSICQUALITY_ALERT_WINDOW_MINUTES", 15, "minutes")
# --- background jobs and the JSON API (README, "Jobs" and "JSON API") ----------------------

INSTALLED_APPS += [
    "jobs",
    "api",
    "huey.contrib.djhuey",
    "rest_framework",
    "rest_framework.authtoken",
]
# The worker and the web processes write the app database at the same time (job progress,
# sessions): WAL lets the pages read while the worker writes.
DATABASES[APP_DB_ALIAS]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=wal"  # type: ignore[index]

#: Huey's queue: an SQLite file beside the app database (no broker to install).
JOBS_QUEUE_DB = _env_path(
    "MUSICQUALITY_JOBS_QUEUE", APP_DB.with_name(f"{APP_DB.stem}-jobs.sqlite3")
)
_folder_exists_check("MUSICQUALITY_JOBS_QUEUE", JOBS_QUEUE_DB)
#: Run jobs inside the request that starts them (the unit tests; no worker needed).
JOBS_IMMEDIATE = _env_flag("MUSICQUALITY_JOBS_IMMEDIATE", default=False)


def _env_hours(name: str) -> float:
    value = os.environ.get(name)
    if not value:
        return 0.0
    try:
        hours = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a number of hours (0: off)") from None
    if hours < 0:
        raise ImproperlyConfigured(f"{name}={value!r}: give a number of hours (0: off)")
    return hours


#: Scan the library roots and analyse every N hours from the worker; 0 (default): never.
SCHEDULE_SCAN_HOURS = _env_hours("MUSICQUALITY_SCHEDULE_SCAN_HOURS")

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "musicquality",
    "filename": str(JOBS_QUEUE_DB),
    "immediate": JOBS_IMMEDIATE,
    "results": False,  # a job's outcome is in its Job row
    "utc": True,
    # The queue's tables are made by jobs/tasks.py (imported by the worker and by whatever
    # queues a job), not whenever Django starts: a command that fails leaves no file behind.
    "create_tables": False,
    "consumer": {
        # Threads, not processes: a scan or an analysis starts its own process pool, which a
        # daemonic worker process may not. Two, so that a job can wait for the library lock
        # while another runs (jobs.services.run); the lock keeps heavy jobs one at a time.
        "workers": 2,
        "worker_type": "thread",
        "periodic": True,
        # An idle worker looks at the queue at least once a second (Huey's default backs off
        # to 10 s): a job asked for on a page starts at once.
        "max_delay": 1.0,
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",  # scripts
        "rest_framework.authentication.SessionAuthentication",  # pages' JS (CSRF-checked)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "UNAUTHENTICATED_USER": None,
}

LOGGING["loggers"].update(  # type: ignore[attr-defined]
    {
        "jobs": {"handlers": ["console"], "level": "WARNING"},
        "huey": {"handlers": ["console"], "level": "INFO"},
    }
)

# --- the library summary (docs/summary.md) ------------------------------------------------

#: A library of at most this many files is compared with its summary in the request that
#: finds it changed (exact at once); a larger one in a background thread, the page saying
#: how old its numbers are.
SUMMARY_INLINE_MAX_FILES = int(
    _env_positive("MUSICQUALITY_SUMMARY_INLINE_MAX_FILES", 10_000, "files")
)
#: At most one background comparison every this many seconds.
SUMMARY_CHECK_SECONDS = _env_positive("MUSICQUALITY_SUMMARY_CHECK_SECONDS", 10, "seconds")

# --- imports (docs/imports.md) ---------------------------------------------------------------
# Folders under which the Imports page may vet a folder (the CLI's vet_import takes any):
# separated by ':', like MUSICQUALITY_LIBRARY_ROOTS; unset, the page vets nothing.
IMPORT_ROOTS = [
    Path(root).expanduser().resolve()
    for root in os.environ.get("MUSICQUALITY_IMPORT_ROOTS", "").split(os.pathsep)
    if root.strip()
]
# Where a new file goes under --into (fields: {artist} {album} {title} {year} {filename} {ext}).
IMPORT_PATH_TEMPLATE = os.environ.get(
    "MUSICQUALITY_IMPORT_PATH_TEMPLATE", "{artist}/{album}/{filename}"
)

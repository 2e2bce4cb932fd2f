"""Django settings for Kizuna: everything that varies between installs comes from
``KIZUNA_*`` environment variables (see README.md, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from kizuna import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_flag("KIZUNA_DEBUG")
HTTPS = config.env_flag("KIZUNA_HTTPS")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("KIZUNA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
# The address people open Kizuna at: links in emails (survey invitations, reminders).
KIZUNA_BASE_URL = os.environ.get("KIZUNA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("KIZUNA_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "kizuna.core",
    "kizuna.org",
    "kizuna.surveys",
    "kizuna.engagement",
    "kizuna.improvement",
    "kizuna.customers",
    "kizuna.usage",
    "kizuna.practices.oneonones",
    "kizuna.practices.evaluation",
    "kizuna.practices.recognition",
    "kizuna.practices.flexwork",
    "kizuna.practices.hrkpi",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kizuna.core.middleware.JapaneseFirstLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kizuna.urls"
FORM_RENDERER = "kizuna.core.forms.FormRenderer"
WSGI_APPLICATION = "kizuna.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kizuna.core.context_processors.navigation",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------------------
_env = environ.Env()
_database_url = os.environ.get("KIZUNA_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'kizuna.sqlite3'}"
_database = _env.db_url_config(_database_url)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids the
    # "database is locked" upgrade failure when two requests write at once.
    _database.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Opening a SQLite connection (and running the PRAGMAs) costs 2–4 ms per request.
    _database.setdefault("CONN_MAX_AGE", 600)
    _database.setdefault("CONN_HEALTH_CHECKS", True)
else:
    _database.setdefault("CONN_MAX_AGE", 60)
    _database.setdefault("CONN_HEALTH_CHECKS", True)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Product events live in their own store (DuckDB by default); reserved for the usage app.
EVENTS_URL = os.environ.get("KIZUNA_EVENTS_URL") or f"duckdb:///{DATA_DIR / 'events.duckdb'}"

# --- Cache (login throttling, import progress): shared by all processes on the host ----
_cache_url = os.environ.get("KIZUNA_CACHE_URL")
if _cache_url:
    CACHES = {"default": _env.cache_url_config(_cache_url)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Email -----------------------------------------------------------------------------
MAILERS = {"default": config.mailer_from_url(os.environ.get("KIZUNA_EMAIL_URL") or "console://")}
DEFAULT_FROM_EMAIL = os.environ.get("KIZUNA_FROM_EMAIL", "kizuna@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background work -------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KIZUNA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Authentication and sessions -------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2
# Failed logins allowed per window before the form refuses (per account and per address).
LOGIN_FAILURE_LIMIT = int(os.environ.get("KIZUNA_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = 15 * 60

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = config.env_flag("KIZUNA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KIZUNA_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["kizuna.formats"]
LANGUAGE_COOKIE_NAME = "kizuna_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Static files (served by WhiteNoise straight from the apps; no collectstatic step) ---
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("KIZUNA_STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads above this are refused before parsing (imports stream from memory).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
KIZUNA_IMPORT_MAX_BYTES = int(os.environ.get("KIZUNA_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
KIZUNA_IMPORT_MAX_ROWS = int(os.environ.get("KIZUNA_IMPORT_MAX_ROWS", "100000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KIZUNA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

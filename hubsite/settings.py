"""Settings for the hub site, all read from the environment (django-environ).

With nothing set, the site runs on its embedded default: SQLite under var/, Celery tasks run
eagerly, e-mail is written to files under var/mail/. With DJANGO_DEBUG off (the default as soon
as DATABASE_URL is set), the production variables below are required and start-up stops with a
message naming each missing one.
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HUB_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# The embedded default is "no DATABASE_URL": only then does debug default to on.
DEBUG = env.bool("DJANGO_DEBUG", default="DATABASE_URL" not in env.ENVIRON)

PRODUCTION_REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL")
if not DEBUG:
    missing = [name for name in PRODUCTION_REQUIRED if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so these environment variables are required and missing: "
            + ", ".join(missing)
        )

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

HUB_NAME = env.str("HUB_NAME", default="Seoul AI Research Hub")
HUB_NAME_KO = env.str("HUB_NAME_KO", default="서울 AI 연구 허브")
# Who signs the visa invitation letters for the hub (visits/letter.py).
HUB_SIGNATORY_NAME = env.str("HUB_SIGNATORY_NAME", default="Dr. Seo-yeon Han")
HUB_SIGNATORY_TITLE = env.str("HUB_SIGNATORY_TITLE", default="Director")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.syndication",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "django_countries",
    "import_export",
    "hubsite",
    "researchers",
    "projects",
    "events",
    "visits",
    "reports",
]

ORCID_CLIENT_ID = env.str("ORCID_CLIENT_ID", default="")
ORCID_SECRET = env.str("ORCID_SECRET", default="")
SOCIALACCOUNT_PROVIDERS = {}
if ORCID_CLIENT_ID and ORCID_SECRET:
    INSTALLED_APPS.append("allauth.socialaccount.providers.orcid")
    SOCIALACCOUNT_PROVIDERS["orcid"] = {
        "APPS": [{"client_id": ORCID_CLIENT_ID, "secret": ORCID_SECRET, "key": ""}],
        "BASE_DOMAIN": env.str("ORCID_BASE_DOMAIN", default="orcid.org"),
        "MEMBER_API": False,
    }

MIDDLEWARE = [
    # First: load balancers probe /healthz/* over plain HTTP with any Host header.
    "hubsite.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before any view reads the address: a NUL byte in the path or query string answers 400.
    "hubsite.middleware.RefuseNulInAddressMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: staff rights need two-factor authentication (hubsite/access.py).
    "hubsite.access.StaffRightsMiddleware",
]

ROOT_URLCONF = "hubsite.urls"
WSGI_APPLICATION = "hubsite.wsgi.application"

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
                "hubsite.context_processors.hub",
            ],
        },
    },
    {
        # Plain-text mail and subjects (hubsite.services.outbox_enqueue, hubsite.adapters): the same
        # templates, never HTML-escaped, so "O'Brien & Co" reads as written. Pages use the first engine.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Data -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, which is how SQLite serialises the
    # read-check-write sequences that PostgreSQL guards with row locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The exclusion constraints (hubsite/constraints.py: a room used once at a time) exist only here.
    INSTALLED_APPS.append("django.contrib.postgres")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hub"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Room for the per-event calendar entries of a large feed (the default 300 would thrash).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# Django's cached_db sessions, refusing session cookies of a shape Django never makes (a NUL byte).
SESSION_ENGINE = "hubsite.sessions"

# Public pages for anonymous readers are served from the cache until their content changes
# (hubsite/pagecache.py); this bounds what time alone changes. 0 turns the page cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Seoul"
# Every task is written to be idempotent, so a task whose worker died is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# An unacknowledged message is redelivered after this; every countdown used stays far below.
CELERY_VISIBILITY_TIMEOUT = 3600
CELERY_MAX_COUNTDOWN = 900
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="hub")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "hubsite.heartbeat", "schedule": 60.0},
    # Re-queues outbox rows a killed worker or a lost broker message left behind. A sweep that
    # waited a minute in the queue is stale: the next one is already on its way.
    "outbox-sweep": {"task": "hubsite.sweep_outbox", "schedule": 60.0, "options": {"expires": 55}},
    # Hourly; each reminder is one outbox row, so a run that repeats or overlaps sends nothing twice.
    "visits-reminders": {"task": "visits.send_reminders", "schedule": 3600.0},
    # Gives seats held by guests who never confirmed (30 minutes) to the first on the waiting list.
    "registration-fill-free-seats": {"task": "events.registration_fill_free_seats", "schedule": 300.0},
    # Seminar reminders (24 h and 1 h before): each is one outbox row per person and start time, so
    # a run that overlaps another (two beat schedulers) sends nothing twice.
    "event-reminders": {"task": "events.send_reminders", "schedule": 300.0, "options": {"expires": 290}},
    # Updates of moved seminars whose due time has come (their own countdown task was lost or early).
    "event-updates": {"task": "events.send_due_event_updates", "schedule": 60.0, "options": {"expires": 55}},
}

# --- Calendars ----------------------------------------------------------------------------
# The personal feed (/calendar/<token>.ics) class: seminars from events, stays added by visits.
PERSONAL_CALENDAR_FEED = "visits.feeds.PersonalFeedWithStays"

# --- Visiting researchers ------------------------------------------------------------------
VISIT_MAX_MONTHS = env.int("VISIT_MAX_MONTHS", default=12)
VISIT_ENDORSEMENT_MAX_AGE_DAYS = env.int("VISIT_ENDORSEMENT_MAX_AGE_DAYS", default=30)
VISIT_EXTENSION_DEADLINE_DAYS = env.int("VISIT_EXTENSION_DEADLINE_DAYS", default=7)
# Stays one person may have waiting for their host or staff at once (each one mails the host).
VISIT_MAX_PENDING_PER_PERSON = env.int("VISIT_MAX_PENDING_PER_PERSON", default=3)
VISITOR_SERIES_SLUG = env.str("VISITOR_SERIES_SLUG", default="visitor-seminars")

# --- Mail -------------------------------------------------------------------------------
MAIL_DIR = VAR_DIR / "mail"
# How long one SMTP step (connecting, or a command and its reply) may wait before it fails.
EMAIL_TIMEOUT_SECONDS = 20
# Production sends through SMTP (a local relay unless EMAIL_URL names one), the embedded default to files.
EMAIL_URL = env.str("EMAIL_URL", default="" if DEBUG else "smtp://localhost:25")
if EMAIL_URL:
    _smtp = environ.Env.email_url_config(EMAIL_URL)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp["EMAIL_HOST"],
                "port": _smtp["EMAIL_PORT"],
                "username": _smtp.get("EMAIL_HOST_USER", ""),
                "password": _smtp.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": _smtp.get("EMAIL_USE_TLS", False),
                "use_ssl": _smtp.get("EMAIL_USE_SSL", False),
                "timeout": EMAIL_TIMEOUT_SECONDS,
            },
        }
    }
else:
    # Embedded default: every message the site sends is a file a newcomer can read.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(MAIL_DIR)},
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{HUB_NAME} <seminars@hub.example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
HUB_STAFF_EMAIL = env.str("HUB_STAFF_EMAIL", default="staff@hub.example.org")
# The outbox (hubsite.services): which MAILERS entry it sends through, how many rows share one SMTP
# connection, how often a transient failure (4xx, refused, reset, timeout) is retried (exponential
# backoff with jitter from OUTBOX_RETRY_BASE_SECONDS, capped at CELERY_MAX_COUNTDOWN), after how many
# seconds the sweep takes back a row left in "sending" and a queued row whose task never ran.
OUTBOX_MAILER = env.str("OUTBOX_MAILER", default="default")
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
# A row is "sending" from its claim until the server accepted the message. That is at most about
# twelve SMTP steps, each bounded by EMAIL_TIMEOUT_SECONDS: connect, greeting, EHLO, STARTTLS and
# the TLS handshake, EHLO, AUTH (two), MAIL, RCPT, DATA, the content and the server's reply. A row
# left "sending" longer than this lost its worker, and the sweep sends it again; a shorter time
# would resend messages that are still on their way (each one a duplicate), so it is refused.
OUTBOX_SENDING_STEPS = 12
OUTBOX_STUCK_SENDING_MIN_SECONDS = OUTBOX_SENDING_STEPS * EMAIL_TIMEOUT_SECONDS
OUTBOX_STUCK_SENDING_MAX_SECONDS = 24 * 3600


def bounded_seconds(name: str, default: int, minimum: int, maximum: int, why: str) -> int:
    """A whole number of seconds from the environment; anything else stops start-up, naming it."""
    raw = env.str(name, default=str(default)).strip()
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name}: {raw!r} is not a whole number of seconds.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}: {value} seconds is not between {minimum} and {maximum} ({why}).")
    return value


OUTBOX_STUCK_SENDING_SECONDS = bounded_seconds(
    "OUTBOX_STUCK_SENDING_SECONDS",
    15 * 60,
    OUTBOX_STUCK_SENDING_MIN_SECONDS,
    OUTBOX_STUCK_SENDING_MAX_SECONDS,
    f"sending one message may take {OUTBOX_SENDING_STEPS} SMTP steps of up to {EMAIL_TIMEOUT_SECONDS} s "
    "each, and a message a stopped worker left behind should not wait more than a day",
)
OUTBOX_DISPATCH_GRACE_SECONDS = 60
# Messages about seminars (events.services, "Messages about events"): an update of a published
# event's time, room or link goes out this many seconds after the first save, for the event as it is
# then, so several saves in a row make one message per person (kept far under the visibility timeout).
EVENT_UPDATE_DELAY_SECONDS = min(env.int("EVENT_UPDATE_DELAY_SECONDS", default=300), CELERY_MAX_COUNTDOWN)
# Reminders to confirmed attendees, this long before the start ("24h,1h"; also "30m"), and how late
# a reminder may still go out when the beat task ran late or the event was published late.


def durations(name: str, items: list[str]) -> list[dt.timedelta]:
    """ "24h", "90m" as timedeltas; anything else stops start-up with a message naming the variable."""
    result = []
    for item in items:
        item = item.strip().lower()
        if len(item) < 2 or item[-1] not in "hm" or not item[:-1].isdigit() or int(item[:-1]) == 0:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a duration such as 24h or 30m.")
        result.append(dt.timedelta(**{"hours" if item[-1] == "h" else "minutes": int(item[:-1])}))
    return result


EVENT_REMINDERS = durations("EVENT_REMINDERS", env.list("EVENT_REMINDERS", default=["24h", "1h"]))
EVENT_REMINDER_WINDOW = dt.timedelta(minutes=env.int("EVENT_REMINDER_WINDOW_MINUTES", default=30))

# --- Accounts (django-allauth) ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Links a verified account to its researcher record, lands newcomers on their profile, and writes
# allauth's mail (verification, password reset) to the outbox like every message the hub sends.
ACCOUNT_ADAPTER = "researchers.adapters.AccountAdapter"
# Confirming the address in the browser that signed up signs in and lands on the profile.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Proxies of ours in front of the web processes that append the client's address to X-Forwarded-For
# (the load balancer: 1). Every rate limit, allauth's and the site's (hubsite.ratelimit), counts the
# address that many entries from the right; 0 ignores the header, so no client can choose its address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they can be seen and tuned in one place.
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
# No ACCOUNT_EMAIL_SUBJECT_PREFIX: hubsite.adapters prefixes "[<the hub's name>] " in the mail's language.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = HUB_NAME

# --- Language and time ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
# DATE_FORMAT, DATETIME_FORMAT... (the admin's) come from hubsite.dates, the one rule for dates.
FORMAT_MODULE_PATH = ["hubsite.formats"]
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if AWS_STORAGE_BUCKET_NAME:
    # Shared object storage, so that any web process can serve any upload. Credentials come from
    # the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables (boto3 reads them).
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security -----------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Django's admin and allauth set a few style attributes; scripts stay strictly external.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("USE_X_FORWARDED_PROTO", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # fontTools narrates every font subset it makes for a PDF (the visa letter), down to tables it drops.
    "loggers": {"fontTools": {"level": "ERROR"}},
}

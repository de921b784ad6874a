"""
Settings of the forum site: one module, every deploy-time value read from the environment.

Local defaults are safe for a developer's machine (SQLite under var/, mail printed to the console
while DEBUG is on). The README lists every variable.
"""

import operator
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

# An insecure key is only acceptable for local development; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me" if DEBUG else None)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public address of the site, used in calendars and e-mails where no request is at hand.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # modeltranslation must come before django.contrib.admin to patch its forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    # Two-factor authentication (TOTP and recovery codes), required of staff to enter admin.
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "import_export",
    # The database task backend: queued e-mails wait in a table for `manage.py db_worker`.
    "django_tasks_db",
    "agenda",
    # A meeting's outcomes and the convergence matrix: beside registration, above the agenda.
    "outcomes",
    "registration",
]

MIDDLEWARE = [
    # Cached public pages are answered here, before anything reads the session, the user or CSRF;
    # first, so a stored page keeps the headers every other middleware added (pagecache says why
    # HTTPS redirects still happen).
    "pagecache.PublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what is drawn, before the page cache stores it: a cached page is served as stored.
    "pagecache.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language is the address's prefix; the root redirects by Accept-Language (no cookie).
    "forum.middleware.LanguageInAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "forum.middleware.PrivatePagesNeverCachedMiddleware",
    # After authentication, messages and allauth's own middleware: it reads all three.
    "forum.admin_access.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "forum.urls"

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
                "agenda.context_processors.visitor_time_zone",
            ],
        },
    },
]

WSGI_APPLICATION = "forum.wsgi.application"

# SQLite is the embedded default; production sets DATABASE_URL to PostgreSQL.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'forum.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked": BEGIN IMMEDIATE
    # takes the write lock up front, WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Connections are kept between requests: opening one costs more than a cached page does to serve.
# The health check finds a connection the database dropped (a restart) before a request uses it.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# How long a process serves public pages under the state it last read before reading it again
# (pagecache); the process that saved a change shows it at once.
PUBLIC_PAGE_FINGERPRINT_MAX_AGE = env.float("PUBLIC_PAGE_FINGERPRINT_MAX_AGE", default=1.0)

# A cache shared by every process (Redis in production) keeps allauth's rate limits honest across
# gunicorn workers; the local default is per process. Public pages live in a cache of their own
# (PAGE_CACHE_URL): pages may be evicted to make room, the rate-limit counters never (in production
# a Redis database with `noeviction` for CACHE_URL, another with `allkeys-lru` for the pages).
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    "pages": env.cache("PAGE_CACHE_URL", default="locmemcache://public-pages"),
}
if CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
    # What one process keeps of pages, at ~60 kB each: about 30 MB at most.
    CACHES["pages"].setdefault("OPTIONS", {}).setdefault(
        "MAX_ENTRIES", env.int("PAGE_CACHE_MAX_ENTRIES", default=500)
    )
PAGE_CACHE_ALIAS = "pages"
# How many public addresses one process remembers as cacheable (a bound against made-up paths).
PUBLIC_PAGE_PATHS_MAX = env.int("PUBLIC_PAGE_PATHS_MAX", default=2000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

SITE_ID = 1

# Internationalisation: the four languages SELA works in, each with its prefix in every URL
# (/es/, /en/, /pt-br/, /fr/). This list is the only place that names them: URL prefixes, the
# language links, the registration's preferred language, the translated model fields (a
# migration adds a language's columns), the meeting file and the tests all follow it. Adding a
# fifth language is a line here, its catalogue under locale/ and its content.
# Portuguese is Brazil's ("pt-br"): Django's, allauth's and django-countries' Brazilian
# catalogues (allauth has no plain "pt"); our own catalogue lives in locale/pt, which gettext
# finds for pt_BR as well.
LANGUAGE_CODE = "es"
LANGUAGES = [
    ("es", _("Spanish")),
    ("en", _("English")),
    ("pt-br", _("Portuguese")),
    ("fr", _("French")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "es"
# A content field left empty in a language shows the Spanish text (marked lang="es" on the page).
MODELTRANSLATION_FALLBACK_LANGUAGES = ("es",)
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (the materials organisers attach to a meeting) go through Django's storage API:
# the local file system under MEDIA_ROOT by default, or an S3-compatible bucket when
# FILE_STORAGE=s3 (django-storages, installed with the optional `s3` extra: pip install ".[s3]").
# They are never served from a URL of their own: a view checks who may have each one and sets a
# safe content type (agenda/views.py), so MEDIA_URL stays unset and the bucket stays private.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
FILE_STORAGE = env.str("FILE_STORAGE", default="local")
if FILE_STORAGE == "s3":
    uploads_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET_NAME"),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            # Empty for AWS itself; the host's address for R2, MinIO, Spaces and the others.
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION_NAME", default=None),
            "location": env.str("S3_LOCATION", default=""),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default=None),
            "signature_version": "s3v4",
            # Private objects: the files reach people only through the download view. Empty leaves
            # it to the bucket's own policy, for hosts that refuse ACL headers.
            "default_acl": env.str("S3_DEFAULT_ACL", default="private") or None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif FILE_STORAGE == "local":
    uploads_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"FILE_STORAGE must be 'local' or 's3', not {FILE_STORAGE!r}.")
# The largest material file organisers may upload, in megabytes. The reverse proxy must accept a
# request that large too (nginx: client_max_body_size).
MATERIAL_MAX_FILE_SIZE = env.int("MATERIAL_MAX_FILE_SIZE_MB", default=50) * 1024 * 1024

STORAGES = {
    "default": uploads_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# E-mail: console while developing, SMTP from the environment in production.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SGCAN <no-reply@comunidadandina.org>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
MAILERS = {
    "default": {
        "BACKEND": env.str(
            "EMAIL_BACKEND",
            # Prints each mail decoded, its links whole (forum/mail_console.py).
            default="forum.mail_console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
        "timeout": env.int("EMAIL_TIMEOUT", default=10),
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

COUNTRIES_FIRST = ["BO", "CO", "EC", "PE"]
COUNTRIES_FIRST_REPEAT = True
# django-countries' Spanish catalogue spells it "Trinidad yTobago"; our catalogue, which Django
# reads first, has the name right, and naming it here puts it in that catalogue.
COUNTRIES_OVERRIDE = {"TT": _("Trinidad and Tobago")}

# Accounts (django-allauth): the e-mail address is the login and must be verified before
# registering; allauth's rate limits stay on (their defaults); no page reveals whether an
# address has an account (PREVENT_ENUMERATION, on by default, kept explicit).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
# People know their account by its e-mail address: allauth would otherwise show the username it
# generates behind the scenes (in "signed in as…" and in its e-mails).
ACCOUNT_USER_DISPLAY = operator.attrgetter("email")
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "agenda:home"
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SGCAN] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str(
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https"
)
# URL names resolve in the active language: a Spanish visitor lands on /es/.
LOGIN_REDIRECT_URL = "agenda:home"
LOGIN_URL = "account_login"

# Rate limits, in allauth's notation (amount/period/per; per = ip, user or key). allauth's own
# actions (sign-in, sign-up, password reset, e-mail confirmation…) keep its defaults; the
# participant's forms that send mail add theirs here (see registration/ratelimits.py). The counts
# live in the cache above: with CACHE_URL pointing at Redis every process shares them.
# RATE_LIMITS_ENABLED=false switches all of them off, for load benchmarks only, never in production.
if env.bool("RATE_LIMITS_ENABLED", default=True):
    ACCOUNT_RATE_LIMITS = {
        "registration_register": "20/h/user",
        "registration_switch_mode": "10/h/user",
        "registration_cancel": "10/h/user",
        "registration_renew_link": "10/h/user",
        "registration_delete_account": "5/h/user",
    }
else:
    ACCOUNT_RATE_LIMITS = False
# Behind a reverse proxy every request comes from the proxy's address, so limits "per ip" would
# count all visitors together: one attacker's failed sign-ins would lock everyone out. The proxy
# appends the client's address to X-Forwarded-For; allauth takes the entry written by the last of
# TRUSTED_PROXY_COUNT proxies (or TRUSTED_CLIENT_IP_HEADER, a header the proxy sets). Both are off
# by default: a server that faces the internet directly must not believe a header anyone can write.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None

# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) and single-use recovery
# codes; staff cannot open admin without them (forum/admin_access.py). One step of tolerance
# (30 s either side) forgives a phone's clock that drifts a little.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SGCAN – SELA"
MFA_TOTP_TOLERANCE = 1
# Draws the authenticator's QR code as inline SVG, not as a data: image the CSP would have to allow.
MFA_ADAPTER = "forum.mfa.MFAAdapter"

# Retention (Law 29733): `manage.py purge_personal_data` anonymises the registrations of events
# that ended more than this many days ago; the privacy notice states the period.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=180)

# The largest signature image organisers may upload for an event's certificates of participation
# (registration/admin_forms.py); it is re-encoded as a PNG no larger than a signature needs.
CERTIFICATE_SIGNATURE_MAX_BYTES = env.int("CERTIFICATE_SIGNATURE_MAX_BYTES", default=1_000_000)

# Background work (e-mail) goes through django.tasks. In production the database backend keeps
# each mail as a row until `manage.py db_worker` sends it: a request never waits on the mail
# server, and mail the server refuses is tried again later (registration/emails.py). While DEBUG is
# on, the immediate backend sends right after the commit, so `make run` prints mail to the console
# without a worker. TASKS_BACKEND picks either one explicitly.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend",
        )
    }
}
# A mail the server fails to take is tried again up to MAIL_RETRIES times, after MAIL_RETRY_DELAY
# seconds and then twice as long each time (1, 2, 4, 8, 16 and 32 minutes by default); after that
# it waits under admin's "Undelivered e-mails" for an organiser to send it again.
MAIL_RETRIES = env.int("MAIL_RETRIES", default=6)
MAIL_RETRY_DELAY = env.int("MAIL_RETRY_DELAY", default=60)
# allauth's mails (address confirmation, password reset…) take the same queue and retries.
ACCOUNT_ADAPTER = "forum.account_adapter.AccountAdapter"

# Security headers. The Content Security Policy allows our own files only: no inline script or
# style anywhere (templates use classes and static files). A nonce is available to templates that
# cannot avoid an inline script; a page that uses it is never stored in the page cache.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind TLS in production (DEBUG off): secure cookies, HTTPS redirect and HSTS. SECURE_SSL_REDIRECT
# may be turned off when the reverse proxy already redirects.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=not DEBUG):
    # The reverse proxy terminates TLS and says so in this header (nginx: proxy_set_header).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard output, one JSON object per line when LOG_FORMAT=json (production), so the
# service manager or a log shipper can parse them; plain lines while developing.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

"""One settings module, every value from the environment (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from salestio.env import env_bool, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG")
DEMO_MODE = env_bool("DEMO_MODE")
SECRET_KEY = env_required("SECRET_KEY", unless=DEBUG, fallback="insecure-development-key-only")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Fernet keys, newest first; older keys stay listed until every row is re-encrypted.
FERNET_KEYS = env_list("FERNET_KEYS")
if not FERNET_KEYS and not DEBUG:
    raise ImproperlyConfigured("FERNET_KEYS must be set when DEBUG is off")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "salestio",
    "notifications",
    "accounts",
    "orders",
    "listings",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "salestio.middleware.RequestLogContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "salestio.middleware.ShopifySessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "salestio.middleware.FrameAncestorsMiddleware",
]

ROOT_URLCONF = "salestio.urls"
WSGI_APPLICATION = "salestio.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "salestio.context_processors.shopify",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Inside the admin iframe no cookie is relied on; the session exists only for demo mode.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The embedded app is framed by the admin; CSP frame-ancestors decides who may frame it.
X_FRAME_OPTIONS = "ALLOWALL"

# --- Shopify -------------------------------------------------------------------------------
SHOPIFY_API_KEY = env_str("SHOPIFY_API_KEY", "demo-api-key")
SHOPIFY_API_SECRET = env_required("SHOPIFY_API_SECRET", unless=DEBUG, fallback="demo-api-secret")
SCOPES = env_str("SCOPES", "read_orders,write_orders,read_products,read_fulfillments")
SHOPIFY_APP_URL = env_str("SHOPIFY_APP_URL", "http://127.0.0.1:8000").rstrip("/")
SHOPIFY_API_VERSION = env_str("SHOPIFY_API_VERSION", "2026-10")
# Where a shop's own endpoints live; "{shop}" is the myshopify domain. The sandbox sets
# e.g. http://127.0.0.1:8001/shopify/{shop}.
SHOPIFY_SHOP_ORIGIN = env_str("SHOPIFY_SHOP_ORIGIN", "https://{shop}")
SHOPIFY_ADMIN_ORIGIN = env_str("SHOPIFY_ADMIN_ORIGIN", "https://admin.shopify.com").rstrip("/")
SHOPIFY_APP_BRIDGE_URL = env_str(
    "SHOPIFY_APP_BRIDGE_URL", "https://cdn.shopify.com/shopifycloud/app-bridge.js"
)
SHOPIFY_POLARIS_URL = env_str("SHOPIFY_POLARIS_URL", "https://cdn.shopify.com/shopifycloud/polaris.js")
SHOPIFY_SESSION_TOKEN_LEEWAY = env_int("SHOPIFY_SESSION_TOKEN_LEEWAY", 10)
SHOPIFY_HTTP_TIMEOUT = env_int("SHOPIFY_HTTP_TIMEOUT", 20)
# Refresh expiring offline tokens this long before they expire.
SHOPIFY_TOKEN_REFRESH_MARGIN = timedelta(minutes=env_int("SHOPIFY_TOKEN_REFRESH_MARGIN_MIN", 10))

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_DATA_DIR = Path(env_str("CELERY_DATA_DIR", str(BASE_DIR / ".demo" / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # Embedded broker for the demo: kombu's filesystem transport, no server needed.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150)
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "refresh-expiring-shop-tokens": {
        "task": "salestio.tasks.refresh_expiring_shop_tokens",
        "schedule": timedelta(minutes=5),
    },
    "purge-old-webhook-events": {
        "task": "salestio.tasks.purge_old_webhook_events",
        "schedule": crontab(minute=17, hour=3),
    },
}

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Salestio <notifications@salestio.example>")
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "demo:demo-webhook-secret"),
    "POSTMARK_SERVER_TOKEN": env_str("POSTMARK_SERVER_TOKEN"),
    "POSTMARK_API_URL": env_str("POSTMARK_API_URL", "https://api.postmarkapp.com/"),
    "SENDGRID_API_KEY": env_str("SENDGRID_API_KEY"),
    "MAILGUN_API_KEY": env_str("MAILGUN_API_KEY"),
}

# --- Logging: one line per event on stdout, the shop domain on every shop's line ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"shop": {"()": "salestio.logging.ShopContextFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s shop=%(shop)s %(message)s",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["shop"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

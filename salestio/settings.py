"""One settings module, every value from the environment (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue
from redis.backoff import NoBackoff
from redis.retry import Retry

from salestio.env import env_bool, env_int, env_list, env_origins, env_required, env_str

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
    # The operator's admin at /staff/ (salestio/admin_site.py): plans and exchange rates.
    "salestio.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
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
if DEMO_MODE:  # seeding, rundemo and the sandbox wiring; never in the production image
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "salestio.middleware.RequestLogContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.common.CommonMiddleware",
    "salestio.middleware.InputGuardMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salestio.context_processors.shopify",
            ],
        },
    },
]

# Behind pgbouncer in transaction mode a server connection is shared between transactions:
# no persistent client connections and no server-side cursors (they outlive a transaction).
# https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
PGBOUNCER = env_bool("PGBOUNCER")
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0 if PGBOUNCER else 60,
        # A connection the server closed (restart, failover, pg_terminate_backend) is noticed
        # at the next request or task and replaced, instead of failing it.
        conn_health_checks=True,
    )
}
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = PGBOUNCER
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that costs no round trip while the connection is quiet.
    DATABASES["default"]["ENGINE"] = "salestio.postgresql"
if DATABASES["default"]["ENGINE"] == "salestio.postgresql" and not PGBOUNCER:
    # Our prepared statements (salestio.db.execute_planned_once) keep one generic plan instead
    # of planning each run again: that is what preparing them is for. Only prepared statements
    # and PL/pgSQL (the listing-count triggers' fixed statements) have plans to cache.
    # https://www.postgresql.org/docs/15/runtime-config-query.html#GUC-PLAN-CACHE-MODE
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves one merchant's concurrent requests and the worker: WAL lets
    # readers run beside the writer; IMMEDIATE takes the write lock at BEGIN, so a transaction
    # never fails upgrading a read lock ("database is locked"), it waits up to the timeout.
    # (docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 20),
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
SCOPES = env_str(
    "SCOPES", "read_orders,write_orders,read_products,read_fulfillments,read_inventory"
)
SHOPIFY_APP_URL = env_str("SHOPIFY_APP_URL", "http://127.0.0.1:8000").rstrip("/")
SHOPIFY_API_VERSION = env_str("SHOPIFY_API_VERSION", "2026-10")
# Where a shop's own endpoints live; "{shop}" is the myshopify domain. The sandbox sets
# e.g. http://127.0.0.1:8001/shopify/{shop}.
SHOPIFY_SHOP_ORIGIN = env_str("SHOPIFY_SHOP_ORIGIN", "https://{shop}")
SHOPIFY_ADMIN_ORIGIN = env_str("SHOPIFY_ADMIN_ORIGIN", "https://admin.shopify.com").rstrip("/")
SHOPIFY_APP_BRIDGE_URL = env_str(
    "SHOPIFY_APP_BRIDGE_URL", "https://cdn.shopify.com/shopifycloud/app-bridge.js"
)
SHOPIFY_POLARIS_URL = env_str(
    "SHOPIFY_POLARIS_URL", "https://cdn.shopify.com/shopifycloud/polaris.js"
)
SHOPIFY_SESSION_TOKEN_LEEWAY = env_int("SHOPIFY_SESSION_TOKEN_LEEWAY", 10)
SHOPIFY_HTTP_TIMEOUT = env_int("SHOPIFY_HTTP_TIMEOUT", 20)
# Refresh expiring offline tokens this long before they expire.
SHOPIFY_TOKEN_REFRESH_MARGIN = timedelta(minutes=env_int("SHOPIFY_TOKEN_REFRESH_MARGIN_MIN", 10))

MESSAGE_STORAGE = "salestio.messages.ShopMessageStorage"
# Flash messages of embedded pages and other short-lived state; Redis in production.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
            # While Redis is down a page must not wait out redis-py's reconnect backoff (~6 s)
            # for a flash message: one quick try, then the page goes on without it.
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 2,
                "retry": Retry(NoBackoff(), 0),
            },
        }
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_DATA_DIR = Path(env_str("CELERY_DATA_DIR", str(BASE_DIR / ".demo" / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task a dead worker held (acks_late) is handed out again after this many seconds; keep
    # it above the longest task and the longest retry countdown (600 s).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600)
    }
else:
    # Embedded broker for the demo: kombu's filesystem transport, no server needed.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150)
CELERY_TASK_IGNORE_RESULT = True
# Queues by latency class, so a burst of sync work never delays an "account expired" email:
# notify (emails, banners), checks (connection checks, sweeps, webhooks, billing), sync
# (order import, fulfillment, listing pushes, discovery). A worker started without -Q listens
# on all three (the demo's); docker-compose runs one worker service per queue.
# Each queue has its own direct exchange and key: a bare Queue(name) would be bound to the
# default exchange's key and receive every other queue's messages too.
CELERY_TASK_QUEUES = tuple(
    Queue(q, Exchange(q), routing_key=q) for q in ("notify", "checks", "sync")
)
CELERY_TASK_DEFAULT_QUEUE = "checks"
CELERY_TASK_ROUTES = {
    "notifications.*": {"queue": "notify"},
    "orders.*": {"queue": "sync"},
    "listings.*": {"queue": "sync"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless this is set;
# reusing it saves a connect per task, and salestio.celery checks it before each one.
CELERY_DB_REUSE_MAX = 0 if PGBOUNCER else 1000
# Work committed but not yet taken by the broker (salestio.outbox) is published again by the
# beat sweeps once this long has passed: a webhook event, an email, a job.
OUTBOX_LEASE_S = env_int("OUTBOX_LEASE_S", 120)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "refresh-expiring-shop-tokens": {
        "task": "salestio.tasks.refresh_expiring_shop_tokens",
        "schedule": timedelta(minutes=5),
    },
    # The outbox sweeps (salestio.outbox): work whose publish failed while the broker was down.
    "requeue-unprocessed-webhooks": {
        "task": "salestio.tasks.requeue_unprocessed_webhooks",
        "schedule": timedelta(minutes=1),
    },
    "publish-outbox": {
        "task": "salestio.tasks.publish_outbox",
        "schedule": timedelta(minutes=1),
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
    # Basic-auth "user:password" the ESP's tracking webhooks must present.
    "WEBHOOK_SECRET": env_required(
        "ANYMAIL_WEBHOOK_SECRET", unless=DEBUG, fallback="demo:demo-webhook-secret"
    ),
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
            "()": "salestio.logging.RedactingFormatter",
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
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines (the demo's web server), through the redacting handler.
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # At DEBUG these print request headers, marketplace tokens included.
        "ebaysdk": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "sp_api": {"level": "WARNING"},
    },
}

# --- Marketplaces (accounts app) -------------------------------------------------------------
# Every origin is a setting so the same adapters run against sandbox/ (see tests/conftest.py).
AMAZON_APP_ID = env_str("AMAZON_APP_ID")
AMAZON_LWA_CLIENT_ID = env_str("AMAZON_LWA_CLIENT_ID")
# Marketplace secrets may be empty: a deployment connects only the marketplaces it has keys for.
AMAZON_LWA_CLIENT_SECRET = env_str("AMAZON_LWA_CLIENT_SECRET")
AMAZON_LWA_TOKEN_URL = env_str("AMAZON_LWA_TOKEN_URL", "https://api.amazon.com/auth/o2/token")
# Draft (unpublished) SP-API apps must add version=beta to the consent URL.
AMAZON_DRAFT_APP = env_bool("AMAZON_DRAFT_APP")
AMAZON_SP_API_ENDPOINTS = env_origins(
    "AMAZON_SP_API_ENDPOINT",
    {
        "NA": "https://sellingpartnerapi-na.amazon.com",
        "EU": "https://sellingpartnerapi-eu.amazon.com",
        "FE": "https://sellingpartnerapi-fe.amazon.com",
    },
)
AMAZON_SELLER_CENTRAL_URLS = env_origins(
    "AMAZON_SELLER_CENTRAL",
    {
        "NA": "https://sellercentral.amazon.com",
        "EU": "https://sellercentral-europe.amazon.com",
        "FE": "https://sellercentral.amazon.co.jp",
    },
)
EBAY_CLIENT_ID = env_str("EBAY_CLIENT_ID")
EBAY_CLIENT_SECRET = env_str("EBAY_CLIENT_SECRET")
EBAY_DEV_ID = env_str("EBAY_DEV_ID")
# eBay's redirect_uri is the RuName; eBay maps it to the accept URL registered for it.
EBAY_RU_NAME = env_str("EBAY_RU_NAME")
EBAY_TRADING_URL = env_str("EBAY_TRADING_URL", "https://api.ebay.com/ws/api.dll")
EBAY_API_ORIGIN = env_str("EBAY_API_ORIGIN", "https://api.ebay.com").rstrip("/")
EBAY_AUTH_URL = env_str("EBAY_AUTH_URL", "https://auth.ebay.com/oauth2/authorize")
EBAY_TOKEN_URL = env_str("EBAY_TOKEN_URL", "https://api.ebay.com/identity/v1/oauth2/token")
EBAY_SCOPES = env_str(
    "EBAY_SCOPES",
    "https://api.ebay.com/oauth/api_scope https://api.ebay.com/oauth/api_scope/sell.inventory "
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
)
EBAY_DELETION_VERIFICATION_TOKEN = env_str("EBAY_DELETION_VERIFICATION_TOKEN")
ETSY_KEYSTRING = env_str("ETSY_KEYSTRING")
ETSY_SHARED_SECRET = env_str("ETSY_SHARED_SECRET")
ETSY_API_ORIGIN = env_str("ETSY_API_ORIGIN", "https://api.etsy.com").rstrip("/")
ETSY_CONNECT_URL = env_str("ETSY_CONNECT_URL", "https://www.etsy.com/oauth/connect")
ETSY_TOKEN_URL = env_str("ETSY_TOKEN_URL", "https://api.etsy.com/v3/public/oauth/token")
ETSY_SCOPES = env_str("ETSY_SCOPES", "transactions_r transactions_w listings_r listings_w shops_r")
MARKETPLACE_HTTP_TIMEOUT = float(env_str("MARKETPLACE_HTTP_TIMEOUT", "20"))
# The expiring-soon banner and email come this many days before a connection's hard limit.
ACCOUNT_EXPIRY_WARNING_DAYS = env_int("ACCOUNT_EXPIRY_WARNING_DAYS", 14)
ACCOUNT_CHECK_INTERVAL = timedelta(hours=env_int("ACCOUNT_CHECK_INTERVAL_HOURS", 6))
ACCOUNT_TOKEN_REFRESH_MARGIN = timedelta(minutes=env_int("ACCOUNT_TOKEN_REFRESH_MARGIN_MIN", 10))
# Small batches: each account costs up to four sequential HTTP calls.
ACCOUNT_SWEEP_BATCH = env_int("ACCOUNT_SWEEP_BATCH", 25)
# One sweep run leases at most this many due accounts (one UPDATE ... RETURNING); the rest stay
# due for the next beat, so a backlog never holds one huge id list in memory.
ACCOUNT_SWEEP_MAX_CLAIM = env_int("ACCOUNT_SWEEP_MAX_CLAIM", 100_000)
# A check batch starts no account after this long and hands the rest back to the queue, so the
# soft time limit seldom lands mid-refresh (where Etsy's rotated refresh token, not yet
# committed, would be lost). Worst case per account: two refreshes and two calls.
ACCOUNT_CHECK_BATCH_SECONDS = max(CELERY_TASK_SOFT_TIME_LIMIT - 4 * MARKETPLACE_HTTP_TIMEOUT, 10)
# Checks failing this long: the account shows as failing, with a banner and an email.
ACCOUNT_FAILING_NOTICE_AFTER = timedelta(hours=24)
# Never-connected accounts (the merchant left the consent page) are deleted after this long.
ACCOUNT_ABANDONED_AFTER = timedelta(days=1)
OAUTH_STATE_MAX_AGE = env_int("OAUTH_STATE_MAX_AGE", 900)
if DEMO_MODE:  # the sandbox marketplaces keep producing orders while the demo runs
    CELERY_BEAT_SCHEDULE["demo-produce-orders"] = {
        "task": "demo.tasks.produce_demo_orders",
        "schedule": timedelta(minutes=3),
    }
CELERY_BEAT_SCHEDULE["orders-import"] = {
    "task": "orders.tasks.import_all_orders",
    "schedule": timedelta(minutes=5),
}
CELERY_BEAT_SCHEDULE["orders-push-due-fulfillments"] = {
    "task": "orders.tasks.push_due_fulfillments",
    "schedule": timedelta(minutes=2),
}
CELERY_BEAT_SCHEDULE["accounts-expiry-sweep"] = {
    "task": "accounts.tasks.sweep_accounts",
    "schedule": timedelta(minutes=5),
}
CELERY_BEAT_SCHEDULE["accounts-purge-abandoned-logins"] = {
    "task": "accounts.tasks.purge_abandoned_logins",
    "schedule": crontab(minute=23),
}
# eBay refuses to activate a keyset without the Marketplace Account Deletion endpoint, whose
# challenge needs this token: 32-80 letters, digits, "_" or "-" (eBay's deletion guide).
_ebay_token = EBAY_DELETION_VERIFICATION_TOKEN.replace("_", "").replace("-", "")
if (
    EBAY_CLIENT_ID
    and not DEBUG
    and not (
        32 <= len(EBAY_DELETION_VERIFICATION_TOKEN) <= 80
        and _ebay_token.isascii()
        and _ebay_token.isalnum()
    )
):
    raise ImproperlyConfigured(
        "EBAY_DELETION_VERIFICATION_TOKEN must be set (32-80 letters, digits, _ or -) "
        "when EBAY_CLIENT_ID is set"
    )

# --- Notifications (notifications app) ------------------------------------------------------
# The ESP is EMAIL_BACKEND above, e.g. anymail.backends.postmark.EmailBackend with
# POSTMARK_SERVER_TOKEN; Django's SMTP backend works too. Tracking: /anymail/<esp>/tracking/,
# mounted for that one ESP only (another ESP's view would fail on its missing settings).
ANYMAIL_TRACKING_ESP = env_str(
    "ANYMAIL_TRACKING_ESP",
    EMAIL_BACKEND.removeprefix("anymail.backends.").removesuffix(".EmailBackend")
    if EMAIL_BACKEND.startswith("anymail.backends.")
    else "",
)
# Per shop and category the first notification is emailed at once; what follows within this
# window waits for one digest at its end.
NOTIFICATION_DIGEST_WINDOW = timedelta(minutes=env_int("NOTIFICATION_DIGEST_WINDOW_MIN", 60))
# A digest's body shows this many items; a longer list goes along in full as a CSV attachment.
NOTIFICATION_DIGEST_ITEMS_SHOWN = env_int("NOTIFICATION_DIGEST_ITEMS_SHOWN", 10)
# Hand-overs to the ESP before an email is marked failed; waits grow 2 s, 4 s, … up to the cap,
# each drawn at random below its bound (full jitter).
NOTIFICATION_SEND_MAX_ATTEMPTS = env_int("NOTIFICATION_SEND_MAX_ATTEMPTS", 8)
NOTIFICATION_RETRY_BACKOFF_S = env_int("NOTIFICATION_RETRY_BACKOFF_S", 2)
NOTIFICATION_RETRY_BACKOFF_MAX_S = env_int("NOTIFICATION_RETRY_BACKOFF_MAX_S", 600)
# A send's claim is a lease: a worker holding one longer died mid-send (the task time limit is
# 150 s), and the stalled sweep retries the email.
NOTIFICATION_SENDING_LEASE_S = env_int("NOTIFICATION_SENDING_LEASE_S", 600)
# Emails composed together go to the broker as one send task per this many: a job run's burst
# costs a few publishes, while a slow ESP holds only a few emails behind each other (each send
# is its own claim; the task time limit of 150 s bounds a batch).
NOTIFICATION_SEND_BATCH = env_int("NOTIFICATION_SEND_BATCH", 25)
CELERY_BEAT_SCHEDULE["notifications-flush-digests"] = {
    "task": "notifications.tasks.flush_digests",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["notifications-requeue-stalled"] = {
    "task": "notifications.tasks.requeue_stalled_emails",
    "schedule": timedelta(minutes=5),
}

# --- Listing sync (listings app) ------------------------------------------------------------
# Changes to one variant within this window go out as one push of the latest values.
LISTING_PUSH_DEBOUNCE = timedelta(milliseconds=env_int("LISTING_PUSH_DEBOUNCE_MS", 1000))
# Listings one push task sends (one account); more are handed to a follow-up task.
LISTING_PUSH_BATCH = env_int("LISTING_PUSH_BATCH", 200)
# How long a push may hold the listings it claimed: longer than the push task may run
# (listings.tasks.push_account, time_limit 300 s). Past it they are due again.
LISTING_PUSH_LEASE = timedelta(seconds=env_int("LISTING_PUSH_LEASE_S", 600))
# Attempts for a throttled or failing marketplace before the listing shows Update Error;
# waits grow 5 s, 10 s, … up to the cap, each drawn at random (jitter).
LISTING_PUSH_MAX_ATTEMPTS = env_int("LISTING_PUSH_MAX_ATTEMPTS", 6)
LISTING_RETRY_BACKOFF_S = env_int("LISTING_RETRY_BACKOFF_S", 5)
LISTING_RETRY_BACKOFF_MAX_S = env_int("LISTING_RETRY_BACKOFF_MAX_S", 900)
LISTINGS_PER_PAGE = env_int("LISTINGS_PER_PAGE", 50)
CELERY_BEAT_SCHEDULE["listings-push-due"] = {
    "task": "listings.tasks.push_due",
    "schedule": timedelta(seconds=env_int("LISTING_PUSH_SWEEP_S", 15)),
}
CELERY_BEAT_SCHEDULE["listings-reconcile"] = {
    "task": "listings.tasks.reconcile_all",
    "schedule": timedelta(hours=env_int("LISTING_RECONCILE_HOURS", 6)),
}

# --- Billing (billing app) ------------------------------------------------------------------
# The nearly-reached banner and email come at this share of the plan's GMV limit.
BILLING_NEAR_LIMIT_PERCENT = env_int("BILLING_NEAR_LIMIT_PERCENT", 80)
# Shopify charges for real only when this is set; otherwise subscriptions are test charges.
BILLING_PRODUCTION_CHARGES = env_bool("BILLING_PRODUCTION_CHARGES")
# Exchange rates for orders in another currency than the plan's: an ECB-format XML document.
BILLING_RATES_URL = env_str(
    "BILLING_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
)
BILLING_RATES_TIMEOUT = env_int("BILLING_RATES_TIMEOUT", 20)
# Counter rows per sweep batch (each batch is one query and one task).
BILLING_SWEEP_BATCH = env_int("BILLING_SWEEP_BATCH", 1000)
CELERY_BEAT_SCHEDULE["billing-gmv-limit-sweep"] = {
    "task": "billing.tasks.sweep_usage_limits",
    "schedule": timedelta(minutes=10),
}
CELERY_BEAT_SCHEDULE["billing-period-rollover"] = {
    "task": "billing.tasks.roll_over_usage_periods",
    "schedule": timedelta(minutes=5),
}
CELERY_BEAT_SCHEDULE["billing-exchange-rates"] = {
    "task": "billing.tasks.refresh_exchange_rates",
    "schedule": crontab(minute=30, hour=16),  # the ECB publishes around 16:00 CET
}

# The dashboard shows this many banners (newest first) and says where the others are.
DASHBOARD_BANNERS = env_int("DASHBOARD_BANNERS", 10)

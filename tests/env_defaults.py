"""The test deployment's configuration, loaded as a pytest plugin (`-p tests.env_defaults`)
so it is in the environment before pytest-django imports the settings."""

import os

TEST_ENV = {
    "SECRET_KEY": "test-secret-key-not-for-production",
    # Two keys: rows written under the first stay readable after rotation.
    "FERNET_KEYS": "oX7Nw3y0m4JbFUbqS0n7yXJ0Qk0mJ6m0h7m1c3VtM2s=,"
    "Q2lwaGVyS2V5Rm9yUm90YXRpb25UZXN0czAwMDAwMDA=",
    "SHOPIFY_API_KEY": "test-api-key",
    "SHOPIFY_API_SECRET": "test-api-secret-of-at-least-32-bytes",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "ANYMAIL_WEBHOOK_SECRET": "tracking:test-webhook-secret",
    # The ESP whose tracking webhook is mounted (the sending backend stays locmem).
    "ANYMAIL_TRACKING_ESP": "postmark",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "LOG_LEVEL": "WARNING",
    # Installs the demo app (seed_demo, the sandbox wiring); the demo login also needs DEBUG.
    "DEMO_MODE": "1",
}
for _key, _value in TEST_ENV.items():
    os.environ.setdefault(_key, _value)
if os.environ.get("TEST_REDIS_URL"):
    os.environ.setdefault("REDIS_URL", os.environ["TEST_REDIS_URL"])

"""/healthz, and the settings module read in a fresh interpreter with only the env it is given."""

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings

from salestio.celery import app as celery_app
from tests.env_defaults import TEST_ENV
from tests.network import closed_port
from tests.settings_surface import ROOT, environment_surface

# Reads the settings the way every process of the app does, then reports what it chose.
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({"database": settings.DATABASES["default"]["ENGINE"],
                  "broker": settings.CELERY_BROKER_URL}))
"""


def run_settings(env: dict[str, str], tmp_path: Any) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "salestio.settings",
        # The filesystem broker creates its folders on start-up; keep them out of the tree.
        "CELERY_DATA_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=django_settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def chosen(env: dict[str, str], tmp_path: Any) -> dict[str, str]:
    result = run_settings(env, tmp_path)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.splitlines()[-1]))


# The secrets the test deployment sets: everything production must be given.
PRODUCTION = {key: value for key, value in TEST_ENV.items() if key != "CELERY_TASK_ALWAYS_EAGER"}


def test_production_starts_with_every_secret_set(tmp_path: Any) -> None:
    assert chosen(PRODUCTION, tmp_path)["database"] == "django.db.backends.sqlite3"


@pytest.mark.parametrize(
    "secret", ["SECRET_KEY", "FERNET_KEYS", "SHOPIFY_API_SECRET", "ANYMAIL_WEBHOOK_SECRET"]
)
def test_production_refuses_to_start_without_a_secret(secret: str, tmp_path: Any) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != secret}
    result = run_settings(env, tmp_path)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {secret} must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_secrets_on_sqlite_and_the_filesystem_broker(tmp_path: Any) -> None:
    assert chosen({"DEBUG": "1"}, tmp_path) == {
        "database": "django.db.backends.sqlite3",
        "broker": "filesystem://",
    }


def test_database_url_and_redis_url_choose_postgres_and_redis(tmp_path: Any) -> None:
    env = {
        "DEBUG": "1",
        "DATABASE_URL": "postgres://app:pw@db:5432/salestio",
        "REDIS_URL": "redis://redis:6379/0",
    }
    assert chosen(env, tmp_path) == {
        "database": "salestio.postgresql",
        "broker": "redis://redis:6379/0",
    }


@pytest.mark.redis
def test_healthz_answers_200_when_database_and_broker_answer(client: Any, db: None) -> None:
    assert celery_app.conf.broker_url.startswith("redis://")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": True, "broker": True}


def test_healthz_answers_503_when_the_broker_does_not(
    client: Any, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": True, "broker": False}


def test_every_variable_the_settings_read_is_documented() -> None:
    readme, example = (ROOT / "README.md").read_text(), (ROOT / ".env.example").read_text()
    names = environment_surface().read
    assert [name for name in names if f"`{name}`" not in readme] == []
    assert [name for name in names if not re.search(rf"^(# )?{name}=", example, re.M)] == []


def test_the_example_leaves_every_production_secret_to_fill_in() -> None:
    example = (ROOT / ".env.example").read_text()
    required = environment_surface().required
    assert [name for name in required if not re.search(rf"^{name}=$", example, re.M)] == []

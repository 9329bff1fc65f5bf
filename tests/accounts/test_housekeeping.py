"""Hourly housekeeping of logins that never finished, and the eBay setting production needs."""

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.utils import timezone

from accounts import login, tasks
from accounts.models import Account, OAuthState
from salestio.celery import app as celery_app
from salestio.models import Shop
from tests.settings_surface import ROOT, environment_surface


@pytest.mark.django_db
def test_purge_drops_expired_logins_and_accounts_never_connected(connect: Any, shop: Shop) -> None:
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    abandoned = login.create_account(shop=shop, marketplace="etsy", name="left")
    login.begin_login(account=abandoned)
    just_started = login.create_account(shop=shop, marketplace="etsy", name="now")
    in_flight = login.begin_login(account=just_started)
    connected = connect(shop, "ebay")
    Account.objects.filter(pk__in=[abandoned.pk, connected.pk]).update(created_at=day_ago)
    OAuthState.objects.filter(account=connected).update(expires_at=day_ago)

    tasks.purge_abandoned_logins()

    assert set(Account.objects.values_list("pk", flat=True)) == {just_started.pk, connected.pk}
    assert OAuthState.objects.get().account_id == just_started.pk
    assert login.start_login(ticket=in_flight).consent_url  # still usable


def test_the_purge_runs_hourly_from_beat() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["accounts-purge-abandoned-logins"]
    assert entry["task"] == tasks.purge_abandoned_logins.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == crontab(minute=23)  # once an hour


def production_settings_error(**env: str) -> str:
    """Import the settings as production would (DEBUG off, every required secret set)."""
    required = dict.fromkeys(environment_surface().required, "set-by-test")
    result = subprocess.run(
        [sys.executable, "-c", "import salestio.settings"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **required, **env},
        capture_output=True,
        text=True,
    )
    return result.stderr


def test_production_with_ebay_keys_requires_the_deletion_token() -> None:
    assert "EBAY_DELETION_VERIFICATION_TOKEN must be set" in production_settings_error(
        EBAY_CLIENT_ID="Salestio-app-PRD"
    )
    # eBay takes 32 to 80 letters, digits, "_" or "-".
    assert "EBAY_DELETION_VERIFICATION_TOKEN" in production_settings_error(
        EBAY_CLIENT_ID="Salestio-app-PRD", EBAY_DELETION_VERIFICATION_TOKEN="short"
    )
    token = "a-verification_token-of-32-chars-" + "x" * 10
    assert (
        production_settings_error(
            EBAY_CLIENT_ID="Salestio-app-PRD", EBAY_DELETION_VERIFICATION_TOKEN=token
        )
        == ""
    )


def test_production_without_ebay_keys_needs_no_deletion_token() -> None:
    assert production_settings_error() == ""

"""0002 gives every existing pause its reason, and frees accounts an earlier reinstall left
paused for good (nothing resumed them before the shop_reinstalled receiver)."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from salestio.models import Shop
from tests.migrations import back_at, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_login_binding_pause_reasons")]


@pytest.fixture
def old_apps() -> Iterator[Any]:
    yield from back_at(BEFORE)


def test_existing_pauses_get_their_reason_and_stuck_accounts_resume(old_apps: Any) -> None:
    shop_model, account_model = (
        old_apps.get_model("salestio", "Shop"),
        old_apps.get_model("accounts", "Account"),
    )
    back = shop_model.objects.create(domain="back.myshopify.com")
    gone = shop_model.objects.create(domain="gone.myshopify.com", uninstalled_at=timezone.now())
    paused_at = timezone.now() - timedelta(days=3)

    def account(shop: Shop, status: str) -> int:
        return int(
            account_model.objects.create(
                shop=shop,
                marketplace="etsy",
                name=status,
                status=status,
                refresh_token="r",
                sync_paused_at=paused_at,
            ).pk
        )

    stuck, expired, never = (
        account(back, "active"),
        account(back, "expired"),
        account(back, "pending"),
    )
    still_gone = account(gone, "error")

    # Read as 0002 left the table: later migrations' columns are not there yet.
    migrated = migrate(AFTER).get_model("accounts", "Account")
    rows = {row.pk: row for row in migrated.objects.all()}
    assert rows[stuck].sync_paused_at is None and rows[stuck].paused_reason == ""
    assert rows[stuck].next_check_at is not None
    assert rows[expired].paused_reason == "expired" and rows[expired].sync_paused_at
    assert rows[never].sync_paused_at is None and rows[never].next_check_at is None
    assert rows[still_gone].paused_reason == "uninstalled"

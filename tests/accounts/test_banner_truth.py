"""Banners are the state: an account banner shows only while its account is in that state,
the sweep resolves a stale one, and re-seeding the demo after a reconnect raises none."""

from typing import Any

import pytest
from django.utils import timezone

from accounts import tasks
from accounts.models import Account
from notifications import services
from notifications.models import Banner, BannerKind
from tests.accounts.conftest import approve, callback
from tests.accounts.test_reconnect import save_account
from tests.pages import demo_shop

pytestmark = pytest.mark.django_db


def expired_banner(shop: Any, account: Account) -> Banner:
    return services.raise_banner(
        shop=shop,
        kind=BannerKind.ACCOUNT_EXPIRED,
        subject=account.subject,
        context={"account_name": account.name, "marketplace": account.display_name},
    )


def test_a_stale_expired_banner_of_an_active_account_is_resolved_by_the_next_sweep(
    connect: Any, shop: Any, shop_client: Any
) -> None:
    account = connect(shop, "amazon")
    stale = expired_banner(shop, account)
    assert "has expired" not in shop_client(shop).get("/").content.decode()  # not shown
    tasks.sweep_accounts()
    stale.refresh_from_db()
    assert stale.resolved_at is not None


def test_the_sweep_keeps_the_banner_of_an_account_that_is_still_expired(
    connect: Any, shop: Any, shop_client: Any
) -> None:
    account = connect(shop, "amazon")
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.EXPIRED,
        sync_paused_at=timezone.now(),
        paused_reason=Account.PauseReason.EXPIRED,
        refresh_token="",
    )
    banner = expired_banner(shop, account)
    tasks.sweep_accounts()
    banner.refresh_from_db()
    assert banner.resolved_at is None
    assert "has expired" in shop_client(shop).get("/").content.decode()


def test_reseeding_the_demo_after_a_reconnect_shows_no_expired_banner(
    sandbox: Any, shop_client: Any
) -> None:
    shop = demo_shop(sandbox)
    amazon = Account.objects.get(shop=shop, status=Account.Status.EXPIRED)
    client = shop_client(shop)
    callback(client, approve(save_account(client, amazon), amazon.external_id))
    amazon.refresh_from_db()
    assert amazon.status == Account.Status.ACTIVE

    demo_shop(sandbox)  # `make demo` again

    active = Banner.objects.filter(shop=shop, resolved_at=None)
    assert not active.filter(kind=BannerKind.ACCOUNT_EXPIRED).exists()
    page = client.get("/").content.decode()
    assert "'My Amazon account' has expired" not in page

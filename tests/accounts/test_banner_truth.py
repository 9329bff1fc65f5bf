"""Banners are the state: an account banner shows only while its account is in that state,
the sweep resolves a stale one, and re-seeding the demo after a reconnect raises none."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import tasks
from accounts.models import Account
from notifications import services
from notifications.models import Banner, BannerKind
from tests.accounts.conftest import approve, callback
from tests.accounts.test_reconnect import save_account
from tests.listings.factories import make_account
from tests.pages import demo_shop

pytestmark = pytest.mark.django_db
EXPIRED = {
    "status": Account.Status.EXPIRED,
    "sync_paused_at": timezone.now(),
    "paused_reason": Account.PauseReason.EXPIRED,
    "refresh_token": "",
}


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
    Account.objects.filter(pk=account.pk).update(**EXPIRED)
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


def account_banner(shop: Any, account: Account, kind: BannerKind) -> Banner:
    return services.raise_banner(
        shop=shop,
        kind=kind,
        subject=account.subject,
        context={
            "account_name": account.name,
            "marketplace": account.display_name,
            "expires_on": "2026-12-24",
            "failing_since": "2026-11-30",
        },
    )


def test_the_dashboard_shows_each_account_banner_only_while_its_condition_holds(
    shop: Any, shop_client: Any
) -> None:
    """Read ahead with the dashboard's other reads (one statement, whatever the kinds): an
    expired banner of an expired account, an expiring one of a connected account and a failing
    one of an account still failing show; the same banners of accounts that moved on do not;
    a subject that names no account breaks nothing."""
    accounts = {name: make_account(shop) for name in ("A1", "A2", "A3", "A4", "A5", "A6")}
    for name, account in accounts.items():
        Account.objects.filter(pk=account.pk).update(name=name)
        account.name = name
    Account.objects.filter(pk__in=[accounts["A1"].pk, accounts["A4"].pk]).update(**EXPIRED)
    Account.objects.filter(pk=accounts["A5"].pk).update(failing_since=timezone.now())
    for name, kind in [
        ("A1", BannerKind.ACCOUNT_EXPIRED),  # holds
        ("A2", BannerKind.ACCOUNT_EXPIRED),  # active again
        ("A3", BannerKind.ACCOUNT_EXPIRING),  # holds
        ("A4", BannerKind.ACCOUNT_EXPIRING),  # expired since
        ("A5", BannerKind.ACCOUNT_FAILING),  # holds
        ("A6", BannerKind.ACCOUNT_FAILING),  # a healthy check since
    ]:
        account_banner(shop, accounts[name], kind)
    services.raise_banner(shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, subject="account:abc")
    client = shop_client(shop)
    client.get("/")  # warm-up: the combined read is prepared on a connection's first run

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()

    shown = {name for name in accounts if f"Account '{name}'" in page}
    assert shown == {"A1", "A3", "A5"}
    # The shop with the combined read and the accounts' states, and the plan of a shop
    # without a usage period yet: no account is read on its own.
    assert len(captured) == 2

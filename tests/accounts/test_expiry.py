"""The token-expiry sweep: dead connections expire once, transient failures never do."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts import tasks
from accounts.models import Account
from notifications.models import Banner, BannerKind, Category, Notification
from salestio.models import Shop
from tests.accounts.conftest import sweep_now

pytestmark = pytest.mark.django_db


def make_access_token_due(account: Any) -> None:
    Account.objects.filter(pk=account.pk).update(access_token_expires_at=timezone.now())


def revoke(sims: Any, account: Any) -> None:
    sim = getattr(sims, account.marketplace)
    sim.book.revoke(sim.default_user)


def revoke_with_access_token_due(sims: Any, account: Any) -> None:
    """The sweep uses the refresh token only once the access token is due: then it shows."""
    revoke(sims, account)
    make_access_token_due(account)


DEAD_SIGNALS = {
    # LWA answers 400 invalid_grant once the seller revoked the authorization.
    "amazon-lwa-invalid_grant": ("amazon", revoke),
    # SP-API answers 403 Unauthorized although LWA still issues tokens.
    "amazon-sp-api-403": ("amazon", lambda sims, a: sims.amazon.deny(sims.amazon.default_user)),
    "ebay-931": ("ebay", lambda sims, a: sims.ebay.deny(sims.ebay.default_user, 931)),
    "ebay-932": ("ebay", lambda sims, a: sims.ebay.deny(sims.ebay.default_user, 932)),
    "ebay-21916984": ("ebay", lambda sims, a: sims.ebay.deny(sims.ebay.default_user, 21916984)),
    "ebay-21917053": ("ebay", lambda sims, a: sims.ebay.deny(sims.ebay.default_user, 21917053)),
    "ebay-invalid_grant": ("ebay", revoke_with_access_token_due),
    "etsy-invalid_grant": ("etsy", revoke),
    "etsy-invalid_token-after-refresh": (
        "etsy",
        lambda sims, a: sims.etsy.deny(sims.etsy.default_user),
    ),
}


@pytest.mark.parametrize("signal", DEAD_SIGNALS, ids=list(DEAD_SIGNALS))
def test_dead_connection_expires_with_banner_and_one_email(
    connect: Any, shop: Shop, sims: Any, signal: str
) -> None:
    marketplace, kill = DEAD_SIGNALS[signal]
    account = connect(shop, marketplace, name="Main store")
    kill(sims, account)

    account = sweep_now(account)
    sweep_now(account)

    assert account.status == Account.Status.EXPIRED and account.expired_reason
    assert account.sync_paused_at is not None and account.next_check_at is None
    assert not Account.objects.syncable().filter(pk=account.pk).exists()
    banner = Banner.objects.get(shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, resolved_at=None)
    assert banner.subject == f"account:{account.pk}"
    assert banner.context["account_name"] == "Main store"
    assert banner.context["action_url"] == f"/accounts/{account.pk}/edit"
    assert Notification.objects.filter(shop=shop, category=Category.ACCOUNT_EXPIRED).count() == 1


TRANSIENT_PATHS = {"amazon": "/orders", "ebay": "/ws", "etsy": "/v3/application"}


@pytest.mark.parametrize("marketplace", ["amazon", "ebay", "etsy"])
@pytest.mark.parametrize("failure", ["500", "503", "429", "timeout"])
def test_transient_failure_keeps_the_account_active_and_retries(
    connect: Any, shop: Shop, sims: Any, settings: Any, marketplace: str, failure: str
) -> None:
    account = connect(shop, marketplace)
    sim = getattr(sims, marketplace)
    if failure == "timeout":
        settings.MARKETPLACE_HTTP_TIMEOUT = 0.3
        sim.fail_next(500, delay=1.0, path=TRANSIENT_PATHS[marketplace])
    else:
        sim.fail_next(int(failure), path=TRANSIENT_PATHS[marketplace])

    account = sweep_now(account)

    assert account.status == Account.Status.ACTIVE and account.check_failures == 1
    assert account.next_check_at is not None and account.next_check_at > timezone.now()
    assert account.last_error
    assert not Banner.objects.filter(shop=shop).exists()
    settings.MARKETPLACE_HTTP_TIMEOUT = 20  # the retry is an ordinary call again
    assert sweep_now(account).check_failures == 0  # the retry succeeds and clears it


def test_sweep_refreshes_access_tokens_before_they_expire(connect: Any, shop: Shop) -> None:
    account = connect(shop, "etsy")
    old_access, old_refresh = account.access_token, account.refresh_token
    make_access_token_due(account)

    account = sweep_now(account)

    assert account.access_token != old_access and account.refresh_token != old_refresh
    expires_at, next_check_at = account.access_token_expires_at, account.next_check_at
    assert expires_at is not None and expires_at > timezone.now() + timedelta(minutes=50)
    assert next_check_at is not None and next_check_at <= expires_at


def test_expiring_warning_appears_at_14_days_not_15_and_once(connect: Any, shop: Shop) -> None:
    account = connect(shop, "ebay")
    limit = timezone.now() + timedelta(days=15)
    Account.objects.filter(pk=account.pk).update(reauthorize_by=limit)

    sweep_now(account)
    assert not Banner.objects.filter(kind=BannerKind.ACCOUNT_EXPIRING).exists()

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        sweep_now(account)
        sweep_now(account)
        assert Account.objects.get(pk=account.pk).display_status == "expiring"

    banner = Banner.objects.get(kind=BannerKind.ACCOUNT_EXPIRING, resolved_at=None)
    assert banner.context["expires_on"] == limit.date().isoformat()
    warnings = Notification.objects.filter(category=Category.ACCOUNT_EXPIRED)
    assert [n.key for n in warnings] == [f"account:{account.pk}:expiring:{limit.date()}"]


def test_warning_window_is_configurable(connect: Any, shop: Shop, settings: Any) -> None:
    settings.ACCOUNT_EXPIRY_WARNING_DAYS = 30
    account = connect(shop, "ebay")
    Account.objects.filter(pk=account.pk).update(reauthorize_by=timezone.now() + timedelta(days=29))
    sweep_now(account)
    assert Banner.objects.filter(kind=BannerKind.ACCOUNT_EXPIRING).exists()


def test_uninstalling_the_shop_pauses_its_accounts(connect: Any, shop: Shop) -> None:
    from salestio.services import uninstall_shop

    account = connect(shop, "etsy")
    uninstall_shop(shop=shop)

    account.refresh_from_db()
    assert account.sync_paused_at is not None and account.next_check_at is None
    assert not Account.objects.syncable().exists()


def test_an_error_account_whose_access_token_ran_out_is_refreshed_not_expired(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    Account.objects.filter(pk=account.pk).update(status=Account.Status.ERROR, last_error="x")

    # Two hours on, Etsy's 1-hour access token is dead; the 90-day refresh token is not.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        account = sweep_now(account)

    assert account.status == Account.Status.ACTIVE
    assert sims.etsy.book.live_refresh_tokens(sims.etsy.default_user) == [account.refresh_token]
    assert not Banner.objects.filter(kind=BannerKind.ACCOUNT_EXPIRED).exists()


def test_an_error_account_keeps_syncing(connect: Any, shop: Shop, sims: Any) -> None:
    account = connect(shop, "etsy")
    sims.etsy.fail_next(400, {"error": "Invalid request"}, path="/v3/application")

    account = sweep_now(account)

    assert account.status == Account.Status.ERROR and "400" in account.last_error
    assert Account.objects.syncable().filter(pk=account.pk).exists()


def test_checks_failing_for_a_day_show_the_account_as_failing(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = connect(shop, "ebay", name="Main eBay")
    sims.ebay.fail_next(503, path="/ws")
    first_failure = sweep_now(account).failing_since
    assert "status-active" in shop_client(shop).get("/accounts/").content.decode()

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        sims.ebay.fail_next(503, path="/ws")
        account = sweep_now(account)
        page = shop_client(shop).get("/accounts/").content.decode()

    assert account.status == Account.Status.ACTIVE and account.failing_since == first_failure
    assert "status-failing" in page and "Failing since" in page and "503" in page
    assert sweep_now(account).failing_since is None  # one good check ends the run


def test_amazon_refusing_one_api_is_that_calls_error_not_an_expiry(
    connect: Any, shop: Shop, sims: Any
) -> None:
    from accounts.credentials import call_marketplace
    from accounts.marketplaces import ListingUpdate, PermanentError

    account = connect(shop, "amazon")
    # The seller did not grant the Product Listing role: SP-API's 403 Unauthorized, there only.
    sims.amazon.deny(account.external_id, "/listings")

    with pytest.raises(PermanentError, match="403"):
        call_marketplace(account, lambda api: api.update_listing(ListingUpdate("SKU-1", 1)))

    assert sweep_now(account).status == Account.Status.ACTIVE
    assert not Banner.objects.filter(shop=shop).exists()


def reinstall(shop: Shop, on_commit: Any) -> None:
    """The shop installs the app again; salestio sends shop_reinstalled once that commits."""
    from salestio.services import install_shop
    from salestio.shopify_api import OfflineToken

    with on_commit(execute=True):
        install_shop(shop_domain=shop.domain, token=OfflineToken("shpat_again", "", None, "", None))


def test_reinstalling_the_shop_resumes_what_the_uninstall_paused(
    connect: Any, shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    from salestio.services import uninstall_shop

    account = connect(shop, "etsy")
    uninstall_shop(shop=shop)
    assert Account.objects.get(pk=account.pk).paused_reason == Account.PauseReason.UNINSTALLED

    reinstall(shop, django_capture_on_commit_callbacks)

    account.refresh_from_db()
    assert account.sync_paused_at is None and account.paused_reason == ""
    assert account.next_check_at is not None and account.next_check_at <= timezone.now()
    assert Account.objects.syncable().filter(pk=account.pk).exists()
    tasks.sweep_accounts()
    assert Account.objects.get(pk=account.pk).last_checked_at is not None


def test_reinstalling_leaves_an_expired_account_paused(
    connect: Any, shop: Shop, sims: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from salestio.services import uninstall_shop

    account = connect(shop, "amazon")
    revoke(sims, account)
    sweep_now(account)
    uninstall_shop(shop=shop)

    reinstall(shop, django_capture_on_commit_callbacks)

    account.refresh_from_db()
    assert account.status == Account.Status.EXPIRED and account.sync_paused_at is not None
    assert account.paused_reason == Account.PauseReason.EXPIRED


def test_a_crash_on_one_account_does_not_cost_its_batch_the_others(
    connect: Any, shop: Shop
) -> None:
    broken, healthy = connect(shop, "amazon"), connect(shop, "etsy")
    # A row the adapter cannot use (a marketplace code sp_api does not know): a KeyError.
    Account.objects.filter(pk=broken.pk).update(site="XX")

    tasks.check_accounts([broken.pk, healthy.pk])

    broken, healthy = Account.objects.get(pk=broken.pk), Account.objects.get(pk=healthy.pk)
    assert broken.status == Account.Status.ERROR and "XX" in broken.last_error
    assert broken.next_check_at is not None and broken.next_check_at > timezone.now()
    assert healthy.status == Account.Status.ACTIVE and healthy.last_checked_at is not None


def test_a_batch_out_of_time_hands_the_rest_back(
    connect: Any, shop: Shop, sims: Any, settings: Any
) -> None:
    from accounts import sweep

    ids = [connect(shop, "etsy", user=f"5000{n}", name=f"Shop {n}").pk for n in (1, 2, 3)]
    # Wide margins: a loaded CI machine must neither start a second account within the
    # budget nor run out of it before the first one.
    settings.ACCOUNT_CHECK_BATCH_SECONDS = 1.0
    sims.etsy.latency["/v3/application/users/me"] = 1.5
    handed_back: list[list[int]] = []

    sweep.check_batch(account_ids=ids, hand_back=handed_back.append)

    checked = list(
        Account.objects.filter(last_checked_at__isnull=False).values_list("pk", flat=True)
    )
    assert len(checked) == 1
    assert len(handed_back) == 1 and sorted(handed_back[0] + checked) == sorted(ids)

"""Checks that keep failing without expiring the account: after ACCOUNT_FAILING_NOTICE_AFTER the
merchant hears of it on the dashboard and by email, once per run of failures."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Account
from notifications.models import Banner, BannerKind, Category, Email, Notification
from notifications.tasks import send_email
from salestio.models import Shop
from tests.accounts.conftest import approve, callback, consent_url_from, sweep_now

pytestmark = pytest.mark.django_db


def failed_check(sims: Any, account: Any, at: datetime, status: int = 503) -> Account:
    with time_machine.travel(at):
        sims.ebay.fail_next(status, path="/ws")
        return sweep_now(account)


def failing_banners(shop: Shop) -> list[Banner]:
    return list(Banner.objects.filter(shop=shop, kind=BannerKind.ACCOUNT_FAILING))


def failing_for_a_day(connect: Any, shop: Shop, sims: Any) -> tuple[Account, datetime]:
    """An eBay account whose checks fail from now on, noticed a day later; and that day."""
    account = connect(shop, "ebay", name="Main eBay")
    start = timezone.now()
    account = failed_check(sims, account, start)
    failed_check(sims, account, start + timedelta(hours=24, minutes=1))
    return account, start


def test_checks_failing_for_23_hours_raise_no_banner_and_no_email(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "ebay")
    start = timezone.now()
    failed_check(sims, account, start)

    account = failed_check(sims, account, start + timedelta(hours=23))

    assert account.failing_since is not None and not account.is_failing()
    assert not Banner.objects.filter(shop=shop).exists()
    assert not Notification.objects.filter(shop=shop).exists()


def test_after_a_day_one_banner_and_one_notification_however_many_sweeps_fail(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account, start = failing_for_a_day(connect, shop, sims)
    for hours in (30, 36):
        failed_check(sims, account, start + timedelta(hours=hours))
    account = failed_check(sims, account, start + timedelta(hours=42), status=500)

    [banner] = failing_banners(shop)
    assert banner.is_active and banner.subject == f"account:{account.pk}"
    assert banner.context["failing_since"] == start.date().isoformat()
    assert "500" in banner.context["reason"]  # the latest failure's error
    assert banner.context["action_url"] == f"/accounts/{account.pk}/edit"
    [notification] = Notification.objects.filter(shop=shop)
    assert notification.category == Category.ACCOUNT_EXPIRED
    assert notification.key == f"account:{account.pk}:failing:{start.date()}"
    dashboard = shop_client(shop).get("/").content.decode()
    assert "Account 'Main eBay' cannot be reached since" in dashboard
    assert "Account 'Main eBay' (eBay) — cannot be reached" in dashboard  # recent problems


def test_a_permanent_error_lasting_a_day_is_noticed_too(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy", name="Mugs")
    start = timezone.now()
    for at in (start, start + timedelta(hours=24, minutes=1)):
        with time_machine.travel(at):
            sims.etsy.fail_next(400, {"error": "Invalid request"}, path="/v3/application")
            account = sweep_now(account)

    assert account.status == Account.Status.ERROR
    [banner] = failing_banners(shop)
    assert "400" in banner.context["reason"] and banner.context["marketplace"] == "Etsy"
    assert Notification.objects.filter(shop=shop).count() == 1


def test_the_email_says_the_account_cannot_be_reached_not_that_it_expired(
    connect: Any, shop: Shop, sims: Any
) -> None:
    from notifications.models import NotificationSettings

    NotificationSettings.objects.create(shop=shop, account_expired=True, language="en")
    account, start = failing_for_a_day(connect, shop, sims)
    failed_check(sims, account, start + timedelta(hours=30))

    [queued] = Email.objects.filter(shop=shop)
    send_email(queued.pk)  # rendered when sent
    email = Email.objects.get(pk=queued.pk)
    assert email.subject.startswith("Your eBay account 'Main eBay' cannot be reached since ")
    assert "503" in email.text and f"/accounts/{account.pk}/edit" in email.text
    assert "has expired" not in email.text and "inactive" not in email.text


def test_a_healthy_check_resolves_the_banner_and_a_later_run_is_a_new_incident(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account, start = failing_for_a_day(connect, shop, sims)

    with time_machine.travel(start + timedelta(hours=26)):
        account = sweep_now(account)

    assert account.failing_since is None
    assert not any(banner.is_active for banner in failing_banners(shop))
    assert Notification.objects.get(shop=shop).closed_at is not None

    again = start + timedelta(hours=30)
    account = failed_check(sims, account, again)
    failed_check(sims, account, again + timedelta(hours=24, minutes=1))
    assert [banner.is_active for banner in failing_banners(shop)] == [False, True]
    open_keys = Notification.objects.filter(shop=shop, closed_at=None).values_list("key")
    assert list(open_keys) == [(f"account:{account.pk}:failing:{again.date()}",)]


def test_expiry_replaces_the_failing_banner(connect: Any, shop: Shop, sims: Any) -> None:
    account, start = failing_for_a_day(connect, shop, sims)
    sims.ebay.deny(sims.ebay.default_user, 931)

    with time_machine.travel(start + timedelta(hours=26)):
        account = sweep_now(account)

    assert account.status == Account.Status.EXPIRED
    active = Banner.objects.filter(shop=shop, resolved_at=None).values_list("kind", flat=True)
    assert list(active) == [BannerKind.ACCOUNT_EXPIRED]
    open_keys = Notification.objects.filter(shop=shop, closed_at=None).values_list("key")
    assert list(open_keys) == [(f"account:{account.pk}:expired",)]


def test_confirming_the_connection_resolves_the_failing_banner(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account, _ = failing_for_a_day(connect, shop, sims)
    client = shop_client(shop)

    response = client.post(f"/accounts/{account.pk}/edit", {"name": account.name, "site": "77"})
    callback(client, approve(consent_url_from(client, response), account.external_id))

    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE and account.failing_since is None
    assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
    assert Notification.objects.get(shop=shop).closed_at is not None

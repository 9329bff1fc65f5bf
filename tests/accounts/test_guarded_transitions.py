"""Guarded account transitions: a check's outcome applies only to the account it was decided
from. A reconnect landing while a slow check is in flight wins over the check's stale verdict."""

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from accounts import health, transitions
from accounts.models import Account
from notifications.models import Banner, Email, Notification
from salestio.models import Shop
from tests.accounts.conftest import approve, callback, consent_url_from
from tests.concurrency import in_thread

pytestmark = pytest.mark.django_db(transaction=True)
CHECK_PATH = "/v3/application/users/me"  # Etsy's getMe: the check's one cheap call
STALL = 4.0  # seconds Etsy sits on the check's call; the reconnect must land inside them


def wait_until_etsy_holds_the_call(sims: Any) -> None:
    """The stalled fault is taken off the list when the check's request arrives."""
    deadline = time.monotonic() + 10
    while sims.etsy.faults:
        assert time.monotonic() < deadline, "the check never reached Etsy"
        time.sleep(0.01)


def test_a_reconnect_during_a_slow_check_keeps_the_new_tokens_and_raises_nothing(
    connect: Any, shop: Shop, sims: Any, shop_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    account = connect(shop, "etsy")
    old_token = account.access_token
    # Etsy refuses the check's token after a long wait, and again after the check's refresh
    # step: the check ends in ConnectionExpired, but only once the merchant has reconnected.
    sims.etsy.fail_next(401, {"error": "invalid_token"}, delay=STALL, path=CHECK_PATH)
    as_read = Account.objects.select_related("shop").get(pk=account.pk)
    errors: list[BaseException] = []
    caplog.set_level(logging.WARNING, logger="accounts.transitions")

    checking = in_thread(lambda: health.check_account(account=as_read), errors)
    wait_until_etsy_holds_the_call(sims)
    client = shop_client(shop)
    response = client.post(f"/accounts/{account.pk}/edit", {"name": account.name, "site": ""})
    back = callback(client, approve(consent_url_from(client, response), sims.etsy.default_user))
    assert back.status_code == 302
    assert checking.is_alive(), "the reconnect did not land while the check was in flight"
    sims.etsy.fail_next(401, {"error": "invalid_token"}, path=CHECK_PATH)  # the check's retry
    checking.join(timeout=30)

    assert errors == [] and sims.etsy.faults == []  # both refusals reached the check
    stored = Account.objects.get(pk=account.pk)
    assert stored.status == Account.Status.ACTIVE and stored.sync_paused_at is None
    assert stored.access_token not in ("", old_token) and stored.refresh_token
    assert stored.refresh_token in sims.etsy.book.live_refresh_tokens(sims.etsy.default_user)
    assert not Banner.objects.filter(shop=shop).exists()
    assert not Notification.objects.filter(shop=shop).exists()
    assert not Email.objects.exists() and mail.outbox == []
    assert "stale expiry dropped" in caplog.text  # the check did end in ConnectionExpired


def test_a_check_outcome_for_an_account_changed_since_is_dropped(
    connect: Any, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    account = connect(shop, "amazon")
    as_read = Account.objects.select_related("shop").get(pk=account.pk)
    health.record_error(account=as_read, error=RuntimeError("first verdict"))
    caplog.set_level(logging.WARNING, logger="accounts.transitions")

    stale = Account.objects.select_related("shop").get(pk=account.pk)
    stale.version -= 1  # decided from the account before the first verdict
    health.expire_account(account=stale, reason="a verdict from before")

    stored = Account.objects.get(pk=account.pk)
    assert stored.status == Account.Status.ERROR and stored.last_error == "first verdict"
    assert stored.refresh_token and stored.sync_paused_at is None
    assert not Banner.objects.filter(shop=shop).exists()
    assert "stale expiry dropped" in caplog.text  # the check did end in ConnectionExpired


def test_a_check_that_read_the_account_before_an_uninstall_does_not_reschedule_it(
    connect: Callable[..., Account], shop: Shop
) -> None:
    account = connect(shop, "ebay")
    as_read = Account.objects.select_related("shop").get(pk=account.pk)
    transitions.pause_shop_accounts(shop=shop)  # app/uninstalled lands mid-check

    health.record_healthy(account=as_read)

    stored = Account.objects.get(pk=account.pk)
    assert stored.paused_reason == Account.PauseReason.UNINSTALLED
    assert stored.next_check_at is None and stored.last_checked_at is None

"""The connection check and what follows from it: healthy, postponed, failing, expired, and
the merchant's banners and emails about each (warned before the hard limit, told once).

Each outcome is a guarded transition (accounts.transitions) on the account as the check read
it; when a newer write (a reconnect) got there first, the outcome is dropped along with its
banners and emails.
"""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import transitions
from accounts.credentials import call_marketplace, refresh_account_credentials
from accounts.marketplaces import (
    RETRYABLE,
    ConnectionExpired,
    MarketplaceError,
    PermanentError,
    adapter_for,
)
from accounts.models import Account
from notifications.models import BannerKind, Category
from notifications.services import close_incident, notify, raise_banner, resolve_banner
from salestio.backoff import backoff_seconds
from salestio.logging import shop_log_context

log = logging.getLogger(__name__)
# Postponed checks back off from two minutes (doubling) to at most six hours, never under the gap.
RETRY_BASE = timedelta(minutes=2)
MAX_RETRY_DELAY = timedelta(hours=6)


def check_account(*, account: Account) -> None:
    """The sweep's per-account work: refresh when due, one cheap call, act on the result."""
    with shop_log_context(account.shop.domain):
        if not _checkable(account):
            transitions.unschedule(account=account)
            return
        try:
            account = _refresh_if_due(account)
            call_marketplace(account, lambda adapter: adapter.check_connection())
        except ConnectionExpired as exc:
            expire_account(account=account, reason=str(exc))
        except RETRYABLE as exc:
            postpone_check(account=account, error=exc)
        except PermanentError as exc:
            record_error(account=account, error=exc)
        else:
            record_healthy(account=account)


def _checkable(account: Account) -> bool:
    connected = account.status in Account.CONNECTED
    return connected and account.sync_paused_at is None and account.shop.is_installed


def _refresh_if_due(account: Account) -> Account:
    due = adapter_for(account).refresh_due_at()
    if due is None or due > timezone.now():
        return account
    return refresh_account_credentials(account_id=account.pk, stale_token=account.access_token)


@transaction.atomic  # a failing run's notice ends with the run, or neither happens
def record_healthy(*, account: Account) -> None:
    now = timezone.now()
    failing_since = account.failing_since
    warn_of = _limit_to_warn_of(account, now)
    if not transitions.mark_healthy(
        account=account, now=now, warned_for=warn_of or account.warned_for
    ):
        return
    _end_failing_notice(account, failing_since)
    if warn_of is not None:
        _warn_expiring(account, warn_of)


def postpone_check(*, account: Account, error: MarketplaceError) -> None:
    """Throttling, timeouts and 5xx never expire an account: check again later, backing off."""
    seconds = backoff_seconds(
        account.check_failures,
        base=RETRY_BASE.total_seconds(),
        cap=MAX_RETRY_DELAY.total_seconds(),
    )
    delay = max(timedelta(seconds=seconds), transitions.MIN_CHECK_GAP)
    now = timezone.now()
    if transitions.postpone(account=account, error=str(error), now=now, delay=delay):
        log.info("%s check postponed %s: %s", account, delay, error)
        warn_if_failing(account=account, now=now)


def record_error(*, account: Account, error: Exception) -> None:
    """A refusal retrying will not fix. The account stays syncable (order import reports its
    own failures); the list shows it, and once it lasts (is_failing) so do the dashboard and
    an email."""
    now = timezone.now()
    if transitions.mark_failed(account=account, error=str(error), now=now):
        log.warning("%s check failed: %s", account, error)
        warn_if_failing(account=account, now=now)


def _alert_context(account: Account, reason: str) -> dict[str, str]:
    return {
        "account_name": account.name,
        "marketplace": account.display_name,
        "action_url": reverse("accounts:edit", args=[account.pk]),
        "reason": reason,
    }


@transaction.atomic
def expire_account(*, account: Account, reason: str) -> None:
    """The connection is dead: pause the sync, tell the merchant once (banner + email)."""
    failing_since = account.failing_since
    if not transitions.expire(account=account, reason=reason, now=timezone.now()):
        return
    context = _alert_context(account, reason)
    raise_banner(
        shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRED, subject=account.subject, context=context
    )
    resolve_banner(shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRING, subject=account.subject)
    _end_failing_notice(account, failing_since)  # the expiry explains the failures now
    notify(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=f"{account.subject}:expired",
        context=context,
    )
    log.warning("%s expired: %s", account, reason)


def _limit_to_warn_of(account: Account, now: datetime) -> date | None:
    """The hard limit a healthy check must warn of now: within the window, not yet warned."""
    expires_on = account.expires_on
    if expires_on is None or not account.limit_is_near(now) or account.warned_for == expires_on:
        return None
    return expires_on


def _warn_expiring(account: Account, expires_on: date) -> None:
    """Within the warning window of the hard limit: banner and email, once per limit."""
    context = {
        **_alert_context(account, "reauthorization due"),
        "expires_on": expires_on.isoformat(),
    }
    raise_banner(
        shop=account.shop,
        kind=BannerKind.ACCOUNT_EXPIRING,
        subject=account.subject,
        context=context,
    )
    notify(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=f"{account.subject}:expiring:{expires_on.isoformat()}",
        context=context,
    )


def warn_if_failing(*, account: Account, now: datetime) -> bool:
    """Checks failing for ACCOUNT_FAILING_NOTICE_AFTER: the banner (its last error kept
    current by each later failure) and one email per run of failures."""
    # The run's start as the failed check's UPDATE left it (Coalesce keeps the first one).
    account.refresh_from_db(fields=["status", "failing_since", "last_error"])
    since = account.failing_since
    if since is None or not account.is_failing(now):
        return False
    context = {
        **_alert_context(account, account.last_error),
        "failing_since": since.date().isoformat(),
    }
    raise_banner(
        shop=account.shop, kind=BannerKind.ACCOUNT_FAILING, subject=account.subject, context=context
    )
    notify(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=_failing_key(account, since),
        context=context,
    )
    return True


def clear_alerts(account: Account) -> None:
    """Every alert of the account as it stands (before its fields are cleared) ends."""
    for kind in (BannerKind.ACCOUNT_EXPIRED, BannerKind.ACCOUNT_EXPIRING):
        resolve_banner(shop=account.shop, kind=kind, subject=account.subject)
    close_incident(
        shop=account.shop, category=Category.ACCOUNT_EXPIRED, key=f"{account.subject}:expired"
    )
    if account.warned_for:
        close_incident(
            shop=account.shop,
            category=Category.ACCOUNT_EXPIRED,
            key=f"{account.subject}:expiring:{account.warned_for}",
        )
    _end_failing_notice(account, account.failing_since)


def _end_failing_notice(account: Account, failing_since: datetime | None) -> None:
    """The run of failures that began at `failing_since` ended (healthy, expired, reconnected,
    deleted): its banner goes, and a later run is a new incident."""
    if failing_since is None:
        return
    resolve_banner(shop=account.shop, kind=BannerKind.ACCOUNT_FAILING, subject=account.subject)
    close_incident(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=_failing_key(account, failing_since),
    )


def _failing_key(account: Account, since: datetime) -> str:
    return f"{account.subject}:failing:{since.date().isoformat()}"

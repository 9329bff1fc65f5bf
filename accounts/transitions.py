"""Every change of an account's status, each one a guarded write.

A connection check decides from the account as it read it, then talks to the marketplace for
seconds; the merchant may reconnect meanwhile. So each write here is a conditional UPDATE on
the version the decision was made from (`Account.version`, bumped by every write here): a
stale result matches no row and is logged and dropped, never applied over a newer connection.
Each returns whether it applied; the caller raises banners and emails only then.
"""

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.marketplaces import Grant, adapter_for
from accounts.models import Account
from salestio.models import Shop

log = logging.getLogger(__name__)
MIN_CHECK_GAP = timedelta(minutes=1)
ERROR_LENGTH = 2000


def _apply(account: Account, transition: str, **fields: Any) -> bool:
    """UPDATE … WHERE version = the one `account` was read at; on success `account` follows."""
    applied = Account.objects.filter(pk=account.pk, version=account.version).update(
        version=F("version") + 1, **fields
    )
    if not applied:
        log.warning(
            "%s: stale %s dropped (decided from version %d; the account changed since)",
            account,
            transition,
            account.version,
        )
        return False
    account.version += 1
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):  # Coalesce(…): refresh_from_db reads it
            setattr(account, name, value)
    return True


def grant_fields(account: Account, grant: Grant) -> dict[str, Any]:
    """Access and refresh token together: Etsy's old refresh token is already spent."""
    return {
        "access_token": grant.access_token,
        "access_token_expires_at": grant.access_expires_at,
        "refresh_token": grant.refresh_token or account.refresh_token,
        "reauthorize_by": grant.reauthorize_by or account.reauthorize_by,
        "external_id": grant.external_id or account.external_id,
    }


def next_check_time(account: Account, now: datetime) -> datetime:
    """The earliest of: the routine check, the token refresh, the warning, the hard limit."""
    candidates = [now + settings.ACCOUNT_CHECK_INTERVAL]
    refresh_at = adapter_for(account).refresh_due_at()
    if refresh_at:
        candidates.append(refresh_at)
    limit = account.reauthorize_by
    if limit and limit > now:
        candidates.append(limit)
        if account.warned_for != account.expires_on:
            candidates.append(limit - timedelta(days=settings.ACCOUNT_EXPIRY_WARNING_DAYS))
    return max(min(candidates), now + MIN_CHECK_GAP)


def connect(*, account: Account, grant: Grant, site: str = "") -> bool:
    """A login succeeded: active with the grant's tokens, every pause and error cleared.

    `account` is the row locked by the login, so this applies unless the lock was skipped."""
    now, tokens = timezone.now(), grant_fields(account, grant)
    for name, value in tokens.items():
        setattr(account, name, value)  # next_check_time reads the new tokens' lifetimes
    account.warned_for = None
    return _apply(
        account,
        "connect",
        **tokens,
        status=Account.Status.ACTIVE,
        site=site or account.site,
        connected_at=now,
        check_failures=0,
        sync_paused_at=None,
        expired_at=None,
        warned_for=None,
        failing_since=None,
        last_error_at=None,
        last_error="",
        expired_reason="",
        paused_reason="",
        next_check_at=next_check_time(account, now),
    )


def mark_healthy(*, account: Account, now: datetime, warned_for: date | None) -> bool:
    """The check passed: ACTIVE again (from ERROR), the failure run over, next check planned.

    `warned_for` is the hard limit the caller is about to warn of (or the one already warned)."""
    account.warned_for = warned_for
    return _apply(
        account,
        "healthy check",
        status=Account.Status.ACTIVE,
        warned_for=warned_for,
        last_checked_at=now,
        check_failures=0,
        failing_since=None,
        last_error="",
        last_error_at=None,
        next_check_at=next_check_time(account, now),
    )


def postpone(*, account: Account, error: str, now: datetime, delay: timedelta) -> bool:
    """A retryable failure (throttling, timeout, 5xx): the status stays, the check comes back."""
    return _apply(
        account,
        "postponed check",
        check_failures=account.check_failures + 1,
        failing_since=Coalesce("failing_since", Value(now)),
        last_error=error[:ERROR_LENGTH],
        last_error_at=now,
        next_check_at=now + delay,
    )


def mark_failed(*, account: Account, error: str, now: datetime) -> bool:
    """A refusal retrying will not fix: ERROR, still syncable (order import reports its own)."""
    return _apply(
        account,
        "failed check",
        status=Account.Status.ERROR,
        failing_since=Coalesce("failing_since", Value(now)),
        last_error=error[:ERROR_LENGTH],
        last_error_at=now,
        last_checked_at=now,
        next_check_at=now + settings.ACCOUNT_CHECK_INTERVAL,
    )


def expire(*, account: Account, reason: str, now: datetime) -> bool:
    """The connection is dead: EXPIRED, paused, its tokens dropped."""
    return _apply(
        account,
        "expiry",
        status=Account.Status.EXPIRED,
        expired_at=now,
        last_checked_at=now,
        expired_reason=reason[:ERROR_LENGTH],
        sync_paused_at=now,
        paused_reason=Account.PauseReason.EXPIRED,
        next_check_at=None,
        access_token="",
        refresh_token="",
    )


def unschedule(*, account: Account) -> bool:
    """Nothing to check (not connected, paused, shop uninstalled) until a login or a resume."""
    return _apply(account, "unscheduled check", next_check_at=None)


def mark_deleted_at_marketplace(*, account: Account, now: datetime) -> bool:
    """The seller's account is gone at the marketplace: no login restores it."""
    return _apply(
        account,
        "deletion at the marketplace",
        status=Account.Status.DISCONNECTED,
        external_id="",
        access_token="",
        refresh_token="",
        sync_paused_at=now,
        paused_reason=Account.PauseReason.DELETED,
        next_check_at=None,
    )


def pause_shop_accounts(*, shop: Shop) -> int:
    """app/uninstalled: no checks or syncs until the shop installs the app again."""
    return Account.objects.filter(shop=shop, sync_paused_at__isnull=True).update(
        version=F("version") + 1,
        sync_paused_at=timezone.now(),
        paused_reason=Account.PauseReason.UNINSTALLED,
        next_check_at=None,
    )


def resume_shop_accounts(*, shop: Shop) -> int:
    """The shop installed the app again: what the uninstall paused resumes, checked at once.

    Accounts paused for another reason (expired) stay paused until their own fix.
    """
    paused = Account.objects.filter(shop=shop, paused_reason=Account.PauseReason.UNINSTALLED)
    resumed = {"sync_paused_at": None, "paused_reason": "", "version": F("version") + 1}
    checked = paused.filter(status__in=Account.CONNECTED).update(
        **resumed, next_check_at=timezone.now()
    )
    never_connected = paused.update(**resumed)  # what is left: nothing to check yet
    return checked + never_connected

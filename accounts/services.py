"""Writes of the accounts app: connect and log in again, refresh, check, expire, warn, sweep."""

import logging
import random
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.marketplaces import (
    ADAPTERS,
    RETRYABLE,
    AccessTokenRejected,
    Adapter,
    ConnectionExpired,
    ConsentRequest,
    Grant,
    MarketplaceError,
    PermanentError,
    adapter_for,
)
from accounts.marketplaces.base import new_code_verifier
from accounts.models import Account, OAuthState
from notifications.models import BannerKind, Category
from notifications.services import close_incident, notify, raise_banner, resolve_banner
from salestio.logging import shop_log_context
from salestio.models import Shop

log = logging.getLogger(__name__)
T = TypeVar("T")
STATE_SALT = "accounts.oauth-state"
# A claimed batch is leased for this long: a worker that dies mid-batch frees its rows then.
CHECK_LEASE = timedelta(minutes=15)
MIN_CHECK_GAP = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)


class InvalidState(Exception):
    """A login callback whose `state` is forged, expired, reused or not this shop's."""


# --- Connect and log in again -----------------------------------------------------------------


def create_account(*, shop: Shop, marketplace: str, name: str, site: str = "") -> Account:
    return Account.objects.create(shop=shop, marketplace=marketplace, name=name, site=site)


def update_account(*, account: Account, name: str, site: str) -> Account:
    account.name, account.site = name, site
    account.save(update_fields=["name", "site"])
    return account


def callback_url(marketplace: str) -> str:
    return f"{settings.SHOPIFY_APP_URL}{reverse('accounts:callback', args=[marketplace])}"


def begin_login(*, account: Account) -> str:
    """A single-use state for this account, and the marketplace's consent URL that carries it."""
    nonce = secrets.token_urlsafe(24)
    verifier = new_code_verifier()
    OAuthState.objects.create(
        nonce=nonce,
        shop=account.shop,
        account=account,
        code_verifier=verifier,
        expires_at=timezone.now() + timedelta(seconds=settings.OAUTH_STATE_MAX_AGE),
    )
    state = signing.dumps({"n": nonce, "s": account.shop_id, "a": account.pk}, salt=STATE_SALT)
    consent = ConsentRequest(
        state=state, redirect_uri=callback_url(account.marketplace), code_verifier=verifier
    )
    return ADAPTERS[account.marketplace].consent_url(account, consent)


def claim_state(*, state: str, marketplace: str, session_shop_id: int | None = None) -> OAuthState:
    """Verify a callback's state and spend it; anything short of a match changes nothing."""
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=settings.OAUTH_STATE_MAX_AGE)
    except signing.BadSignature as exc:
        raise InvalidState("forged or expired state") from exc
    row = (
        OAuthState.objects.select_related("account__shop")
        .filter(nonce=str(data.get("n", "")))
        .first()
    )
    if row is None or not _binds(row, data, marketplace):
        raise InvalidState("state does not belong to this account")
    if session_shop_id is not None and session_shop_id != row.shop_id:
        raise InvalidState("state belongs to another shop")
    now = timezone.now()
    # The conditional UPDATE is the single-use claim: exactly one callback gets a 1.
    if (
        OAuthState.objects.filter(pk=row.pk, used_at=None, expires_at__gt=now).update(used_at=now)
        != 1
    ):
        raise InvalidState("state already used or expired")
    return row


def _binds(row: OAuthState, data: Mapping[str, Any], marketplace: str) -> bool:
    return (
        row.shop_id == data.get("s")
        and row.account_id == data.get("a")
        and row.account.shop_id == row.shop_id
        and row.account.marketplace == marketplace
    )


def complete_login(*, oauth_state: OAuthState, params: Mapping[str, str]) -> Account:
    """The marketplace sent the merchant back with a code: exchange it, restore the account."""
    account = oauth_state.account
    consent = ConsentRequest(
        state="",
        redirect_uri=callback_url(account.marketplace),
        code_verifier=oauth_state.code_verifier,
    )
    grant = adapter_for(account).exchange_code(params, consent)
    return restore_connection(account_id=account.pk, grant=grant)


@transaction.atomic
def restore_connection(*, account_id: int, grant: Grant) -> Account:
    account = Account.objects.select_for_update().select_related("shop").get(pk=account_id)
    _refuse_other_seller(account, grant)
    previous_warning = account.warned_for
    _store_grant(account, grant)
    now = timezone.now()
    account.status = Account.Status.ACTIVE
    account.connected_at, account.check_failures = now, 0
    account.sync_paused_at = account.expired_at = account.warned_for = None
    account.last_error = account.expired_reason = ""
    account.next_check_at = next_check_time(account, now)
    account.save()
    _clear_alerts(account, previous_warning)
    log.info("%s connected; sync resumes from %s", account, account.sync_cursor)
    return account


def record_login_failure(*, account: Account, error: str) -> None:
    """Shown on the edit page, where the embedded admin (no cookies) cannot flash it."""
    Account.objects.filter(pk=account.pk).update(last_error=error[:2000])


def _refuse_other_seller(account: Account, grant: Grant) -> None:
    if account.external_id and grant.external_id and grant.external_id != account.external_id:
        raise PermanentError(
            "You logged in as a different seller than this account's. "
            "Use Connect to add that seller as a new account."
        )
    taken = Account.objects.filter(
        shop_id=account.shop_id, marketplace=account.marketplace, external_id=grant.external_id
    ).exclude(pk=account.pk)
    if grant.external_id and taken.exists():
        raise PermanentError("This seller is already connected as another account.")


def _store_grant(account: Account, grant: Grant) -> None:
    """Access and refresh token together: Etsy's old refresh token is already spent."""
    account.access_token = grant.access_token
    account.access_token_expires_at = grant.access_expires_at
    account.refresh_token = grant.refresh_token or account.refresh_token
    account.reauthorize_by = grant.reauthorize_by or account.reauthorize_by
    account.external_id = grant.external_id or account.external_id


def _clear_alerts(account: Account, warned_for: object) -> None:
    for kind in (BannerKind.ACCOUNT_EXPIRED, BannerKind.ACCOUNT_EXPIRING):
        resolve_banner(shop=account.shop, kind=kind, subject=account.subject)
    close_incident(
        shop=account.shop, category=Category.ACCOUNT_EXPIRED, key=f"{account.subject}:expired"
    )
    if warned_for:
        close_incident(
            shop=account.shop,
            category=Category.ACCOUNT_EXPIRED,
            key=f"{account.subject}:expiring:{warned_for}",
        )


# --- Tokens and calls -------------------------------------------------------------------------


def refresh_account_credentials(*, account_id: int, stale_token: str) -> Account:
    """Refresh unless someone already replaced `stale_token`; the row lock serialises it.

    Two workers refreshing an Etsy account at once would otherwise both spend the same
    refresh token, and the loser's invalid_grant would expire a healthy account.
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("shop").get(pk=account_id)
        if account.status != Account.Status.ACTIVE or account.access_token != stale_token:
            return account
        _store_grant(account, adapter_for(account).refresh_credentials())
        account.save(
            update_fields=[
                "access_token",
                "access_token_expires_at",
                "refresh_token",
                "reauthorize_by",
                "external_id",
            ]
        )
    return account


def call_marketplace(account: Account, operation: Callable[[Adapter], T]) -> T:
    """Run one adapter call; a refused access token is refreshed once and the call retried.

    The order and listing jobs use this too, so a token refused mid-sync is handled alike.
    """
    try:
        return operation(adapter_for(account))
    except AccessTokenRejected:
        account = refresh_account_credentials(
            account_id=account.pk, stale_token=account.access_token
        )
    try:
        return operation(adapter_for(account))
    except AccessTokenRejected as exc:
        raise ConnectionExpired(f"{exc} (again after a token refresh)") from exc


# --- The periodic check -----------------------------------------------------------------------


def check_account(*, account: Account) -> None:
    """The sweep's per-account work: refresh when due, one cheap call, act on the result."""
    with shop_log_context(account.shop.domain):
        if not _checkable(account):
            Account.objects.filter(pk=account.pk).update(next_check_at=None)
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
    active = account.status in (Account.Status.ACTIVE, Account.Status.ERROR)
    return active and account.sync_paused_at is None and account.shop.is_installed


def _refresh_if_due(account: Account) -> Account:
    due = adapter_for(account).refresh_due_at()
    if due is None or due > timezone.now():
        return account
    return refresh_account_credentials(account_id=account.pk, stale_token=account.access_token)


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


def record_healthy(*, account: Account) -> None:
    now = timezone.now()
    if account.status == Account.Status.ERROR:
        account.status = Account.Status.ACTIVE
    warn_if_expiring(account=account, now=now)
    account.last_checked_at, account.check_failures, account.last_error = now, 0, ""
    account.next_check_at = next_check_time(account, now)
    account.save(
        update_fields=["status", "last_checked_at", "check_failures", "last_error", "next_check_at"]
    )


def postpone_check(*, account: Account, error: MarketplaceError) -> None:
    """Throttling, timeouts and 5xx never expire an account: check again later, backing off."""
    failures = account.check_failures + 1
    delay = min(timedelta(minutes=2 ** min(failures, 10)), MAX_RETRY_DELAY)
    delay *= random.uniform(0.8, 1.2)  # jitter: accounts that failed together spread out
    Account.objects.filter(pk=account.pk).update(
        check_failures=failures,
        last_error=str(error)[:2000],
        next_check_at=timezone.now() + delay,
    )
    log.info("%s check postponed %s: %s", account, delay, error)


def record_error(*, account: Account, error: MarketplaceError) -> None:
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.ERROR,
        last_error=str(error)[:2000],
        last_checked_at=timezone.now(),
        next_check_at=timezone.now() + settings.ACCOUNT_CHECK_INTERVAL,
    )
    log.warning("%s check failed: %s", account, error)


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
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.EXPIRED,
        expired_at=now,
        last_checked_at=now,
        expired_reason=reason[:2000],
        sync_paused_at=now,
        next_check_at=None,
        access_token="",
        refresh_token="",
    )
    context = _alert_context(account, reason)
    raise_banner(
        shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRED, subject=account.subject, context=context
    )
    resolve_banner(shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRING, subject=account.subject)
    notify(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=f"{account.subject}:expired",
        context=context,
    )
    log.warning("%s expired: %s", account, reason)


def warn_if_expiring(*, account: Account, now: datetime) -> bool:
    """Within the warning window of the hard limit: banner and email, once per limit."""
    expires_on = account.expires_on
    if expires_on is None or not account.is_expiring(now) or account.warned_for == expires_on:
        return False
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
    account.warned_for = expires_on
    Account.objects.filter(pk=account.pk).update(warned_for=expires_on)
    return True


# --- The sweep's fan-out ----------------------------------------------------------------------


def claim_due_batch(*, now: datetime, size: int) -> list[int]:
    """Lease up to `size` due accounts (account_due_idx); skip rows another sweep holds."""
    with transaction.atomic():
        due = (
            Account.objects.due(now)
            .order_by("next_check_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        ids = list(due)
        if ids:
            Account.objects.filter(pk__in=ids).update(next_check_at=now + CHECK_LEASE)
    return ids


def fan_out_due_accounts(*, now: datetime, enqueue: Callable[[list[int]], object]) -> int:
    """Claim due accounts batch by batch and hand each batch on: two queries per batch."""
    size = settings.ACCOUNT_SWEEP_BATCH
    batches = 0
    while ids := claim_due_batch(now=now, size=size):
        enqueue(ids)
        batches += 1
        if len(ids) < size:
            break
    return batches


def pause_shop_accounts(*, shop: Shop) -> int:
    """app/uninstalled: no more checks or syncs until the merchant saves the account again."""
    return Account.objects.filter(shop=shop, sync_paused_at__isnull=True).update(
        sync_paused_at=timezone.now(), next_check_at=None
    )


def forget_ebay_user(*, user_id: str, username: str) -> int:
    """eBay Marketplace Account Deletion: drop the deleted user's credentials and say so."""
    ids = {value for value in (user_id, username) if value}
    accounts = Account.objects.filter(marketplace="ebay", external_id__in=ids).select_related(
        "shop"
    )
    for account in accounts:
        expire_account(account=account, reason="The eBay account was deleted on eBay.")
    return len(accounts)

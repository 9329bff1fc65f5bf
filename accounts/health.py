"""Writes of the accounts app: connect and log in again, refresh, check, expire, warn, sweep."""

import hashlib
import hmac
import logging
import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
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
from accounts.models import Account, Marketplace, OAuthState
from notifications.models import BannerKind, Category
from notifications.services import close_incident, notify, raise_banner, resolve_banner
from salestio.logging import shop_log_context
from salestio.models import Shop

log = logging.getLogger(__name__)
T = TypeVar("T")
STATE_SALT = "accounts.oauth-state"
START_SALT = "accounts.oauth-start"
# The start URL is opened by the click that asked for it (consent_redirect.html): minutes are
# plenty, and a short life narrows what a leaked, unopened link is worth.
START_MAX_AGE = 300
# A claimed batch is leased for this long: a worker that dies mid-batch frees its rows then.
CHECK_LEASE = timedelta(minutes=15)
MIN_CHECK_GAP = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)


class InvalidState(Exception):
    """A login link or callback that is forged, expired, reused, not this shop's, or come
    back to another browser than the one that left for the consent page."""


# --- Connect and log in again -----------------------------------------------------------------


def create_account(*, shop: Shop, marketplace: str, name: str, site: str = "") -> Account:
    return Account.objects.create(shop=shop, marketplace=marketplace, name=name, site=site)


def rename_account(*, account: Account, name: str) -> Account:
    """Save account's name; a new marketplace/site waits for the login (begin_login)."""
    account.name = name
    account.save(update_fields=["name"])
    return account


def callback_url(marketplace: str) -> str:
    return f"{settings.SHOPIFY_APP_URL}{reverse('accounts:callback', args=[marketplace])}"


def begin_login(*, account: Account, site: str = "") -> str:
    """A login in flight for this account (switching to `site` if given): its ticket.

    The consent page is reached only through the ticket's start URL (start_login), which ties
    the login to the browser that opens it.
    """
    row = OAuthState.objects.create(
        nonce=secrets.token_urlsafe(24),
        shop=account.shop,
        account=account,
        code_verifier=new_code_verifier(),
        site=site,
        expires_at=timezone.now() + timedelta(seconds=settings.OAUTH_STATE_MAX_AGE),
    )
    return signing.dumps(row.pk, salt=START_SALT)


def login_start_url(ticket: str) -> str:
    """On the app's own origin, which the callback comes back to: the cookie must match it."""
    return f"{settings.SHOPIFY_APP_URL}{reverse('accounts:oauth-start', args=[ticket])}"


@dataclass(frozen=True)
class LoginStart:
    """Where the start URL sends the browser, and the cookie it gives it first."""

    consent_url: str
    cookie_name: str
    browser_key: str
    max_age: int


def login_cookie_name(state_id: int) -> str:
    # __Host-: set by this exact origin only, over HTTPS, so a sibling subdomain cannot plant
    # its own key in a victim's browser. DEBUG may serve plain HTTP, where browsers refuse it.
    return f"{'' if settings.DEBUG else '__Host-'}salestio-login-{state_id}"


def start_login(*, ticket: str) -> LoginStart:
    """The start URL's visit: spend its ticket, key this browser, build the consent URL."""
    try:
        state_id = int(signing.loads(ticket, salt=START_SALT, max_age=START_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise InvalidState("forged or expired login link") from exc
    browser_key, now = secrets.token_urlsafe(32), timezone.now()
    # Single use: a forwarded link that the merchant's own browser opened is worthless.
    claimed = OAuthState.objects.filter(
        pk=state_id, started_at=None, used_at=None, expires_at__gt=now
    ).update(started_at=now, browser_key_hash=_digest(browser_key))
    if claimed != 1:
        raise InvalidState("login link already used or expired")
    row = OAuthState.objects.select_related("account").get(pk=state_id)
    state = signing.dumps({"n": row.nonce, "s": row.shop_id, "a": row.account_id}, salt=STATE_SALT)
    consent = ConsentRequest(
        state=state,
        redirect_uri=callback_url(row.account.marketplace),
        code_verifier=row.code_verifier,
        site=row.site,
    )
    return LoginStart(
        consent_url=ADAPTERS[row.account.marketplace].consent_url(row.account, consent),
        cookie_name=login_cookie_name(row.pk),
        browser_key=browser_key,
        max_age=int((row.expires_at - now).total_seconds()),
    )


def _digest(browser_key: str) -> str:
    return hashlib.sha256(browser_key.encode()).hexdigest()


def claim_state(
    *,
    state: str,
    marketplace: str,
    browser_cookies: Mapping[str, str],
    session_shop_id: int | None = None,
) -> OAuthState:
    """Verify a callback's state and its browser, and spend the state; short of a full match
    nothing changes."""
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
    if not _same_browser(row, browser_cookies.get(login_cookie_name(row.pk), "")):
        # A consent link handed to someone else: their approval must not land in this shop.
        raise InvalidState("this login was started in another browser")
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


def _same_browser(row: OAuthState, browser_key: str) -> bool:
    expected = row.browser_key_hash
    return bool(expected) and hmac.compare_digest(_digest(browser_key), expected)


def complete_login(*, oauth_state: OAuthState, params: Mapping[str, str]) -> Account:
    """The marketplace sent the merchant back with a code: exchange it, restore the account."""
    account = oauth_state.account
    consent = ConsentRequest(
        state="",
        redirect_uri=callback_url(account.marketplace),
        code_verifier=oauth_state.code_verifier,
        site=oauth_state.site,
    )
    grant = adapter_for(account).exchange_code(params, consent)
    return restore_connection(account_id=account.pk, grant=grant, site=oauth_state.site)


@transaction.atomic
def restore_connection(*, account_id: int, grant: Grant, site: str = "") -> Account:
    account = Account.objects.select_for_update().select_related("shop").get(pk=account_id)
    _refuse_other_seller(account, grant)
    _clear_alerts(account)  # reads the warning and the failing run this login ends
    _store_grant(account, grant)
    now = timezone.now()
    account.status = Account.Status.ACTIVE
    account.site = site or account.site
    account.connected_at, account.check_failures = now, 0
    account.sync_paused_at = account.expired_at = account.warned_for = None
    account.failing_since = account.last_error_at = None
    account.last_error = account.expired_reason = account.paused_reason = ""
    account.next_check_at = next_check_time(account, now)
    account.save()
    log.info("%s connected; sync resumes from %s", account, account.sync_cursor)
    return account


def record_login_failure(*, account: Account, error: str) -> None:
    """Shown on the edit page, where the embedded admin (no cookies) cannot flash it."""
    Account.objects.filter(pk=account.pk).update(
        last_error=error[:2000], last_error_at=timezone.now()
    )


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


def _clear_alerts(account: Account) -> None:
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
    _end_failing_notice(account)


# --- Tokens and calls -------------------------------------------------------------------------


def refresh_account_credentials(*, account_id: int, stale_token: str) -> Account:
    """Refresh unless someone already replaced `stale_token`; the row lock serialises it.

    Two workers refreshing an Etsy account at once would otherwise both spend the same
    refresh token, and the loser's invalid_grant would expire a healthy account.
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("shop").get(pk=account_id)
        # ERROR accounts hold valid credentials too: refusing them would let the sweep read
        # the stale token's refusal as "expired" and wipe a working refresh token.
        if account.status not in Account.CONNECTED or account.access_token != stale_token:
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
    connected = account.status in Account.CONNECTED
    return connected and account.sync_paused_at is None and account.shop.is_installed


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


@transaction.atomic  # a failing run's notice ends with the run, or neither happens
def record_healthy(*, account: Account) -> None:
    now = timezone.now()
    if account.status == Account.Status.ERROR:
        account.status = Account.Status.ACTIVE
    _end_failing_notice(account)
    warn_if_expiring(account=account, now=now)
    account.last_checked_at, account.check_failures, account.last_error = now, 0, ""
    account.failing_since = account.last_error_at = None
    account.next_check_at = next_check_time(account, now)
    account.save(
        update_fields=[
            "status",
            "last_checked_at",
            "check_failures",
            "failing_since",
            "last_error",
            "last_error_at",
            "next_check_at",
        ]
    )


def postpone_check(*, account: Account, error: MarketplaceError) -> None:
    """Throttling, timeouts and 5xx never expire an account: check again later, backing off."""
    failures = account.check_failures + 1
    delay = min(timedelta(minutes=2 ** min(failures, 10)), MAX_RETRY_DELAY)
    delay *= random.uniform(0.8, 1.2)  # jitter: accounts that failed together spread out
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(
        check_failures=failures,
        failing_since=Coalesce("failing_since", Value(now)),
        last_error=str(error)[:2000],
        last_error_at=now,
        next_check_at=now + delay,
    )
    log.info("%s check postponed %s: %s", account, delay, error)
    warn_if_failing(account=account, now=now)


def record_error(*, account: Account, error: Exception) -> None:
    """A refusal retrying will not fix. The account stays syncable (order import reports its
    own failures); the list shows it, and once it lasts (is_failing) so do the dashboard and
    an email."""
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.ERROR,
        failing_since=Coalesce("failing_since", Value(now)),
        last_error=str(error)[:2000],
        last_error_at=now,
        last_checked_at=now,
        next_check_at=now + settings.ACCOUNT_CHECK_INTERVAL,
    )
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
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.EXPIRED,
        expired_at=now,
        last_checked_at=now,
        expired_reason=reason[:2000],
        sync_paused_at=now,
        paused_reason=Account.PauseReason.EXPIRED,
        next_check_at=None,
        access_token="",
        refresh_token="",
    )
    context = _alert_context(account, reason)
    raise_banner(
        shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRED, subject=account.subject, context=context
    )
    resolve_banner(shop=account.shop, kind=BannerKind.ACCOUNT_EXPIRING, subject=account.subject)
    _end_failing_notice(account)  # the expiry explains the failures now
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


def _end_failing_notice(account: Account) -> None:
    """The run of failures ended (healthy, expired, reconnected, deleted): its banner goes,
    and a later run is a new incident."""
    if account.failing_since is None:
        return
    resolve_banner(shop=account.shop, kind=BannerKind.ACCOUNT_FAILING, subject=account.subject)
    close_incident(
        shop=account.shop,
        category=Category.ACCOUNT_EXPIRED,
        key=_failing_key(account, account.failing_since),
    )


def _failing_key(account: Account, since: datetime) -> str:
    return f"{account.subject}:failing:{since.date().isoformat()}"


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


def check_batch(*, account_ids: list[int], hand_back: Callable[[list[int]], object]) -> None:
    """Check a claimed batch one account at a time; whatever time does not allow goes back.

    The batch stops starting accounts after ACCOUNT_CHECK_BATCH_SECONDS; if the task's soft
    time limit fires anyway, the account in hand and the rest are handed back (a repeated
    check is harmless: the refresh is guarded by the stale token).
    """
    deadline = time.monotonic() + settings.ACCOUNT_CHECK_BATCH_SECONDS
    accounts = list(Account.objects.filter(pk__in=account_ids).select_related("shop"))
    for index, account in enumerate(accounts):
        if time.monotonic() > deadline:
            _hand_back(accounts[index:], hand_back, "out of time")
            return
        try:
            _check_isolated(account)
        except SoftTimeLimitExceeded:
            _hand_back(accounts[index:], hand_back, "soft time limit")
            return


def _check_isolated(account: Account) -> None:
    """One account's surprise (a bug, a malformed answer) must not cost the others their check."""
    try:
        check_account(account=account)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        log.exception("%s check crashed", account)
        record_error(account=account, error=exc)


def _hand_back(accounts: list[Account], hand_back: Callable[[list[int]], object], why: str) -> None:
    ids = [account.pk for account in accounts]
    log.warning("account check batch handed back %d accounts (%s)", len(ids), why)
    hand_back(ids)


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
    """app/uninstalled: no checks or syncs until the shop installs the app again."""
    return Account.objects.filter(shop=shop, sync_paused_at__isnull=True).update(
        sync_paused_at=timezone.now(),
        paused_reason=Account.PauseReason.UNINSTALLED,
        next_check_at=None,
    )


def resume_shop_accounts(*, shop: Shop) -> int:
    """The shop installed the app again: what the uninstall paused resumes, checked at once.

    Accounts paused for another reason (expired) stay paused until their own fix.
    """
    paused = Account.objects.filter(shop=shop, paused_reason=Account.PauseReason.UNINSTALLED)
    resumed = {"sync_paused_at": None, "paused_reason": ""}
    checked = paused.filter(status__in=Account.CONNECTED).update(
        **resumed, next_check_at=timezone.now()
    )
    never_connected = paused.update(**resumed)  # what is left: nothing to check yet
    return checked + never_connected


@transaction.atomic
def forget_ebay_user(*, user_id: str, username: str) -> int:
    """eBay Marketplace Account Deletion: the seller's eBay account is gone. Drop what we hold
    of them (tokens, user id) and show the account as deleted at eBay: no login can bring it
    back, so the expired banner and email would ask the merchant for the impossible."""
    ids = {value for value in (user_id, username) if value}
    accounts = list(
        Account.objects.filter(marketplace=Marketplace.EBAY, external_id__in=ids)
        .select_related("shop")
        .select_for_update(of=("self",))
    )
    now = timezone.now()
    for account in accounts:
        Account.objects.filter(pk=account.pk).update(
            status=Account.Status.DISCONNECTED,
            external_id="",
            access_token="",
            refresh_token="",
            sync_paused_at=now,
            paused_reason=Account.PauseReason.DELETED,
            next_check_at=None,
        )
        _clear_alerts(account)
        log.warning("%s: the eBay account was deleted at eBay", account)
    return len(accounts)


def purge_abandoned_logins(*, now: datetime) -> tuple[int, int]:
    """Expired login states (oauth_state_expiry_idx) and accounts whose first login never
    finished (account_pending_idx): the merchant left the consent page and moved on."""
    states = OAuthState.objects.filter(expires_at__lt=now).delete()[0]
    _, deleted = Account.objects.filter(
        status=Account.Status.PENDING,
        connected_at__isnull=True,
        created_at__lt=now - settings.ACCOUNT_ABANDONED_AFTER,
    ).delete()
    return states, deleted.get(Account._meta.label, 0)

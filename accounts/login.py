"""Connect and log in again: the login's ticket, its start URL bound to one browser, the
callback's state, and the code exchange that (re)connects the account."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import transitions
from accounts.health import clear_alerts
from accounts.marketplaces import ADAPTERS, ConsentRequest, Grant, PermanentError, adapter_for
from accounts.marketplaces.base import new_code_verifier
from accounts.models import Account, OAuthState
from accounts.signals import account_connected
from salestio.models import Shop

log = logging.getLogger(__name__)
STATE_SALT = "accounts.oauth-state"
START_SALT = "accounts.oauth-start"
# The start URL is opened by the click that asked for it (consent_redirect.html): minutes are
# plenty, and a short life narrows what a leaked, unopened link is worth.
START_MAX_AGE = 300


class InvalidState(Exception):
    """A login link or callback that is forged, expired, reused, not this shop's, or come
    back to another browser than the one that left for the consent page."""


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
    clear_alerts(account)  # reads the warning and the failing run this login ends
    transitions.connect(account=account, grant=grant, site=site)  # on the row locked above
    log.info("%s connected; sync resumes from %s", account, account.sync_cursor)
    transaction.on_commit(
        lambda: account_connected.send(sender=Account, account=Account.objects.get(pk=account.pk))
    )
    return account


def record_login_failure(*, account: Account, error: str) -> None:
    """Shown on the edit page, where the embedded admin (no cookies) cannot flash it."""
    Account.objects.filter(pk=account.pk).update(
        last_error=error[: transitions.ERROR_LENGTH], last_error_at=timezone.now()
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

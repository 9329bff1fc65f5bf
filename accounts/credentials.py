"""Marketplace calls with the account's credentials: the guarded token refresh, and one call
retried once after a refused access token (the check, order import and listing sync alike)."""

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

from accounts import transitions
from accounts.marketplaces import AccessTokenRejected, Adapter, ConnectionExpired, adapter_for
from accounts.models import Account

T = TypeVar("T")


def refresh_account_credentials(*, account_id: int, stale_token: str) -> Account:
    """Refresh unless someone already replaced `stale_token`; the row lock serialises it.

    Two workers refreshing an Etsy account at once would otherwise both spend the same
    refresh token, and the loser's invalid_grant would expire a healthy account. On SQLite
    (the demo's two worker processes) select_for_update is a no-op: the lock is the database
    write lock its IMMEDIATE transactions take at BEGIN (salestio/settings.py).
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("shop").get(pk=account_id)
        # ERROR accounts hold valid credentials too: refusing them would let the sweep read
        # the stale token's refusal as "expired" and wipe a working refresh token.
        if account.status not in Account.CONNECTED or account.access_token != stale_token:
            return account
        # Not a status change: guarded by the token it checked, under the lock above.
        fields = transitions.grant_fields(account, adapter_for(account).refresh_credentials())
        for name, value in fields.items():
            setattr(account, name, value)
        account.save(update_fields=list(fields))
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

"""The account banners' conditions, in one place (see notifications.conditions)."""

from collections.abc import Sequence

from accounts.models import Account
from notifications.conditions import register_condition
from notifications.models import Banner, BannerKind
from salestio.db import read_models

ACCOUNT_BANNER_KINDS = (
    BannerKind.ACCOUNT_EXPIRED,
    BannerKind.ACCOUNT_EXPIRING,
    BannerKind.ACCOUNT_FAILING,
)


# The columns the conditions read, not the credentials (each decrypted when loaded); a
# dashboard read, written out (docs/architecture.md, "The dashboard's reads").
STATES_SQL = f"SELECT id, status, failing_since FROM {Account._meta.db_table} WHERE id IN ({{ids}})"


def _accounts(banners: Sequence[Banner]) -> dict[str, Account]:
    """The banners' accounts by subject ("account:<pk>"), in one query."""
    pks = [int(b.subject.split(":", 1)[1]) for b in banners if b.subject.startswith("account:")]
    pks = [pk for pk in pks if pk]
    if not pks:
        return {}
    sql = STATES_SQL.format(ids=", ".join(["%s"] * len(pks)))
    return {a.subject: a for a in read_models(Account, sql, pks)}


def expired_holds(banners: Sequence[Banner]) -> set[int]:
    """Expired: the account still exists and still is expired."""
    accounts = _accounts(banners)
    return {
        b.pk
        for b in banners
        if (a := accounts.get(b.subject)) and a.status == Account.Status.EXPIRED
    }


def expiring_holds(banners: Sequence[Banner]) -> set[int]:
    """Expiring soon: the account is still connected (a reconnect or expiry replaces it)."""
    accounts = _accounts(banners)
    return {b.pk for b in banners if (a := accounts.get(b.subject)) and a.status in a.CONNECTED}


def failing_holds(banners: Sequence[Banner]) -> set[int]:
    """Cannot be reached: its run of failed checks has not ended (a healthy check, an expiry
    or a reconnect clears failing_since); how long it ran was decided when it was raised."""
    accounts = _accounts(banners)
    return {
        b.pk
        for b in banners
        if (a := accounts.get(b.subject)) and a.status in a.CONNECTED and a.failing_since
    }


def register() -> None:
    register_condition(BannerKind.ACCOUNT_EXPIRED, condition=expired_holds)
    register_condition(BannerKind.ACCOUNT_EXPIRING, condition=expiring_holds)
    register_condition(BannerKind.ACCOUNT_FAILING, condition=failing_holds)

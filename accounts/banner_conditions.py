"""The account banners' conditions, in one place (see notifications.conditions)."""

import functools
from collections.abc import Callable, Sequence

from django.db import connection

from accounts.models import Account
from notifications.conditions import Condition, register_condition
from notifications.models import Banner, BannerKind
from notifications.selectors import NEWEST_ACTIVE_BANNERS_SQL
from salestio.db import Read, read_models
from salestio.models import Shop

ACCOUNT_BANNER_KINDS = (
    BannerKind.ACCOUNT_EXPIRED,
    BannerKind.ACCOUNT_EXPIRING,
    BannerKind.ACCOUNT_FAILING,
)


# The columns the conditions read, not the credentials (each decrypted when loaded); a
# dashboard read, written out (docs/architecture.md, "The dashboard's reads").
STATE_COLUMNS = ("id", "status", "failing_since")
STATES_SQL = (
    f"SELECT {', '.join(STATE_COLUMNS)} FROM {Account._meta.db_table} WHERE id IN ({{ids}})"
)
# The same for the accounts of a shop's newest active banners, read ahead with the banners.
# An account banner's subject is "account:<pk>"; PostgreSQL casts only one that is, and looks
# the ids up by primary key from an array (IN (SELECT …) may hash-join every account of the
# shop: a thousand rows read for ten).
STATES_AHEAD_SQL = f"""
SELECT {", ".join(STATE_COLUMNS)} FROM {Account._meta.db_table}
 WHERE shop_id = %s AND {{banners_accounts}}
"""
BANNERS_ACCOUNTS = {
    "postgresql": "id = ANY(ARRAY(SELECT CASE WHEN b.subject ~ '^account:[0-9]{{1,18}}$'"
    " THEN CAST(substr(b.subject, 9) AS bigint) END FROM ({banners}) AS b))",
    "sqlite": "id IN (SELECT CASE WHEN b.subject LIKE 'account:%%'"
    " THEN CAST(substr(b.subject, 9) AS integer) END FROM ({banners}) AS b)",
}

Accounts = dict[str, Account]  # by subject ("account:<pk>")


def _accounts(banners: Sequence[Banner]) -> Accounts:
    """The banners' accounts, in one query."""
    pks = [int(b.subject.split(":", 1)[1]) for b in banners if b.subject.startswith("account:")]
    pks = [pk for pk in pks if pk]
    if not pks:
        return {}
    sql = STATES_SQL.format(ids=", ".join(["%s"] * len(pks)))
    return _by_subject(read_models(Account, sql, pks))


def _by_subject(accounts: list[Account]) -> Accounts:
    return {account.subject: account for account in accounts}


def _expired(accounts: Accounts, banners: Sequence[Banner]) -> set[int]:
    """Expired: the account still exists and still is expired."""
    return {
        b.pk
        for b in banners
        if (a := accounts.get(b.subject)) and a.status == Account.Status.EXPIRED
    }


def _expiring(accounts: Accounts, banners: Sequence[Banner]) -> set[int]:
    """Expiring soon: the account is still connected (a reconnect or expiry replaces it)."""
    return {b.pk for b in banners if (a := accounts.get(b.subject)) and a.status in a.CONNECTED}


def _failing(accounts: Accounts, banners: Sequence[Banner]) -> set[int]:
    """Cannot be reached: its run of failed checks has not ended (a healthy check, an expiry
    or a reconnect clears failing_since); how long it ran was decided when it was raised."""
    return {
        b.pk
        for b in banners
        if (a := accounts.get(b.subject)) and a.status in a.CONNECTED and a.failing_since
    }


CHECKS: dict[str, Callable[[Accounts, Sequence[Banner]], set[int]]] = {
    BannerKind.ACCOUNT_EXPIRED: _expired,
    BannerKind.ACCOUNT_EXPIRING: _expiring,
    BannerKind.ACCOUNT_FAILING: _failing,
}


def _reading_for_itself(check: Callable[[Accounts, Sequence[Banner]], set[int]]) -> Condition:
    return lambda banners: check(_accounts(banners), banners)


def states_ahead(shop: Shop, newest: int) -> Read[Account, dict[str, Condition]]:
    """The accounts of the shop's `newest` active banners, read with the dashboard's other
    reads, and each account kind's condition over them."""

    def conditions(accounts: list[Account]) -> dict[str, Condition]:
        known = _by_subject(accounts)
        return {kind: functools.partial(check, known) for kind, check in CHECKS.items()}

    banners_accounts = BANNERS_ACCOUNTS[connection.vendor].format(banners=NEWEST_ACTIVE_BANNERS_SQL)
    sql = STATES_AHEAD_SQL.format(banners_accounts=banners_accounts)
    return Read(Account, sql, [shop.pk, shop.pk, newest], conditions, STATE_COLUMNS)


def register() -> None:
    for kind, check in CHECKS.items():
        register_condition(kind, condition=_reading_for_itself(check), read_ahead=states_ahead)

"""Token-expiry sweep: fan out 300,000 accounts of which 1% are due.

Prints the sweep's wall time and queries, and their ratio to one raw UPDATE ... RETURNING that
claims the same rows in the same run (the floor; its leases are put back before the sweep runs,
and the sweep's before the next round): the median of a few rounds, as one round is noisy.
The sweep claims every due row in one statement, so its queries do not grow with accounts.
Runs in a throwaway database, bench_sweep_<name>.
"""

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from bench.database import throwaway_database

ACCOUNTS = int(os.environ.get("BENCH_SWEEP_ACCOUNTS", "300000"))
DUE_EVERY = 100  # 1% due
ROUNDS = int(os.environ.get("BENCH_SWEEP_ROUNDS", "5"))


def main() -> None:
    with throwaway_database("bench_sweep") as connection:
        _run(connection)


def _run(connection: Any) -> None:
    from django.conf import settings

    _populate(connection)
    rounds = [_round(connection) for _ in range(ROUNDS)]
    raw_seconds = statistics.median(r.raw_seconds for r in rounds)
    sweep_seconds = statistics.median(r.sweep_seconds for r in rounds)
    first, issued = rounds[0], max(r.issued for r in rounds)
    print(
        f"bench_sweep: {ACCOUNTS} accounts, {first.due} due, batch {settings.ACCOUNT_SWEEP_BATCH}"
        f" ({connection.vendor}), median of {ROUNDS} rounds"
    )
    print(
        f"  sweep fan-out: {sweep_seconds * 1000:.1f} ms, {issued} queries "
        f"({first.statements} statements with BEGIN/COMMIT), {first.batches} batches"
    )
    print(f"  raw UPDATE ... RETURNING of the due rows: {raw_seconds * 1000:.1f} ms, 1 query")
    print(f"  ratio sweep/raw: {sweep_seconds / raw_seconds:.2f}x time, {issued}x queries")
    print(f"RESULT sweep ratio={sweep_seconds / raw_seconds:.2f} queries={issued}")


class _Round(NamedTuple):
    raw_seconds: float
    sweep_seconds: float
    issued: int
    statements: int
    batches: int
    due: int


def _round(connection: Any) -> _Round:
    """The floor's claim and the sweep's, of the same due rows (put back after each)."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts import sweep

    now = timezone.now()
    due, raw_seconds = _timed(lambda: _raw_claim(connection, now))
    _unlease(connection, due, now)
    batches: list[list[int]] = []
    with CaptureQueriesContext(connection) as queries:
        _, sweep_seconds = _timed(
            lambda: sweep.fan_out_due_accounts(now=now, enqueue=batches.append)
        )
    claimed = [pk for batch in batches for pk in batch]
    assert sorted(claimed) == sorted(due), (len(claimed), len(due))
    _unlease(connection, claimed, now)
    # BEGIN/COMMIT of each batch's claim are logged too; the reads and writes are the cost.
    issued = [q for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert len(issued) == 1, "one statement claims every due account"
    return _Round(raw_seconds, sweep_seconds, len(issued), len(queries), len(batches), len(due))


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _raw_claim(connection: Any, now: Any) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET next_check_at = %s WHERE next_check_at <= %s RETURNING id",
            [now + timedelta(minutes=15), now],
        )
        return [row[0] for row in cursor.fetchall()]


def _unlease(connection: Any, ids: list[int], now: Any) -> None:
    """Due again, as before the floor's claim, for the sweep to claim the same rows."""
    from accounts.models import Account

    Account.objects.filter(pk__in=ids).update(next_check_at=now - timedelta(minutes=1))
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE accounts_account" if connection.vendor == "postgresql" else "ANALYZE"
        )


def _populate(connection: Any) -> None:
    """Rows straight from SQL: the bench measures the sweep, not 300,000 ORM saves."""
    from salestio.crypto import encrypt
    from salestio.models import Shop

    shop = Shop.objects.create(domain="bench.myshopify.com")
    secret = encrypt("bench-refresh-token")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_INSERT, [shop.pk, secret, DUE_EVERY, ACCOUNTS])
            cursor.execute("ANALYZE accounts_account")
        else:
            cursor.executemany(
                _INSERT, [(shop.pk, secret, n % DUE_EVERY == 0) for n in range(1, ACCOUNTS + 1)]
            )


_COLUMNS = (
    "shop_id, marketplace, name, site, external_id, status, access_token, "
    "refresh_token, check_failures, last_error, expired_reason, paused_reason, created_at, "
    "next_check_at"
)
_PG_INSERT = f"""
INSERT INTO accounts_account ({_COLUMNS})
SELECT %s, 'etsy', 'bench ' || n, '', n::text, 'active', '', %s, 0, '', '', '', now(),
       CASE WHEN n %% %s = 0 THEN now() - interval '1 minute' ELSE now() + interval '1 day' END
FROM generate_series(1, %s) AS n
"""
_INSERT = f"""
INSERT INTO accounts_account ({_COLUMNS})
VALUES (%s, 'etsy', 'bench', '', lower(hex(randomblob(8))), 'active', '', %s, 0, '', '', '',
        datetime('now'), CASE WHEN %s THEN datetime('now', '-1 minute')
                              ELSE datetime('now', '+1 day') END)
"""


if __name__ == "__main__":
    main()

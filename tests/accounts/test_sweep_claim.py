"""The sweep claims every due account in one statement: its cost in queries does not grow with
the number of accounts due (issue 12)."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from accounts.sweep import CHECK_LEASE, fan_out_due_accounts
from salestio.crypto import encrypt
from salestio.models import Shop


def _accounts(shop: Shop, *, due: int, later: int) -> set[int]:
    now, secret = timezone.now(), encrypt("refresh-token")
    rows = [
        Account(
            shop=shop,
            marketplace="etsy",
            name=f"account {n}",
            external_id=f"ext-{n}",
            status=Account.Status.ACTIVE,
            refresh_token=secret,
            next_check_at=now - timedelta(minutes=1) if n < due else now + timedelta(days=1),
        )
        for n in range(due + later)
    ]
    Account.objects.bulk_create(rows)
    return set(Account.objects.filter(next_check_at__lte=now).values_list("pk", flat=True))


def _sweep(now: Any) -> tuple[list[list[int]], int]:
    batches: list[list[int]] = []
    with CaptureQueriesContext(connection) as queries:
        fan_out_due_accounts(now=now, enqueue=batches.append)
    return batches, len(queries)


@pytest.mark.parametrize("due", [10, 1000])
def test_the_sweep_claims_every_due_account_in_one_statement(
    due: int, shop: Shop, settings: Any
) -> None:
    settings.ACCOUNT_SWEEP_BATCH = 25
    expected = _accounts(shop, due=due, later=50)
    now = timezone.now()
    batches, statements = _sweep(now)
    assert statements == 1
    claimed = [pk for batch in batches for pk in batch]
    assert sorted(claimed) == sorted(expected)  # each due account once, none that is not due
    assert all(len(batch) <= 25 for batch in batches)
    assert len(batches) == -(-due // 25)
    leased = Account.objects.filter(pk__in=expected).values_list("next_check_at", flat=True)
    assert set(leased) == {now + CHECK_LEASE}
    assert _sweep(now) == ([], 1)  # leased: a second sweep finds nothing due


def test_a_backlog_beyond_the_claim_limit_stays_due_for_the_next_run(
    shop: Shop, settings: Any
) -> None:
    settings.ACCOUNT_SWEEP_MAX_CLAIM = 30
    expected = _accounts(shop, due=45, later=0)
    now = timezone.now()
    first, _ = _sweep(now)
    second, _ = _sweep(now)
    claimed = [pk for batch in first + second for pk in batch]
    assert sum(len(b) for b in first) == 30
    assert sorted(claimed) == sorted(expected)

"""The sweep's fan-out: lease every due account in one statement, check each batch one account
at a time, and hand back what the batch has no time for."""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from accounts.health import check_account, record_error
from accounts.models import Account
from salestio.claims import claim_ids, fan_out

log = logging.getLogger(__name__)
# A claimed batch is leased for this long: a worker that dies mid-batch frees its rows then.
CHECK_LEASE = timedelta(minutes=15)


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Lease up to `limit` due accounts (account_due_idx), oldest first, in one statement."""
    due = Account.objects.filter(next_check_at__lte=now).order_by("next_check_at")
    return claim_ids(due, limit=limit, lease={"next_check_at": now + CHECK_LEASE})


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
    """Claim every due account in one statement and hand them on in batches of
    ACCOUNT_SWEEP_BATCH: one query whatever the number due. ACCOUNT_SWEEP_MAX_CLAIM bounds one
    run's memory; what is left stays due for the next beat."""
    ids = claim_due(now=now, limit=settings.ACCOUNT_SWEEP_MAX_CLAIM)
    return fan_out(ids, size=settings.ACCOUNT_SWEEP_BATCH, enqueue=enqueue)

"""A worker SIGKILLed in the middle of a connection check (waiting for Etsy): the batch task
was acknowledged late, so after a restart it is handed out again (once its visibility timeout
has passed, here shortened) and the account is checked; none stays leased by the dead worker
until the lease runs out."""

import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Account
from accounts.tasks import sweep_accounts
from demo.wiring import sandbox_environment
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
USERS_ME = "/v3/application/users/me"
VISIBILITY_S = 2


def _worker(real_worker: Callable[..., Worker], sandbox: Any) -> Worker:
    return real_worker(
        **sandbox_environment(sandbox.url),
        CELERY_VISIBILITY_TIMEOUT_S=str(VISIBILITY_S),
    )


def _wait(condition: Any, worker: Worker, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.2)


def test_a_check_cut_by_a_killed_worker_is_done_after_a_restart(
    real_worker: Callable[..., Worker],
    connect: Any,
    shop: Any,
    sims: SimpleNamespace,
    sandbox: Any,
    enqueue_for_real: None,
) -> None:
    account = connect(shop, "etsy", user="50001", name="Shop 1")
    Account.objects.filter(pk=account.pk).update(next_check_at=timezone.now())
    sims.etsy.latency[USERS_ME] = 60
    checks_before = sum(r.path == USERS_ME for r in sims.etsy.received)
    first = _worker(real_worker, sandbox)
    try:
        sweep_accounts.delay()
        _wait(lambda: sum(r.path == USERS_ME for r in sims.etsy.received) > checks_before, first)
        first.kill()  # mid-check
        killed_at = timezone.now()
    finally:
        first.stop()
    account.refresh_from_db()
    assert account.next_check_at > killed_at + timedelta(minutes=10)  # the dead worker's lease
    sims.etsy.latency.clear()
    # Kombu's first scan for abandoned messages comes ~10 s after a worker starts and the next
    # one only after ~100 s (unacked_restore_interval × throttle): start the new worker once
    # the dead one's message is past its visibility timeout, so that first scan finds it.
    time.sleep(VISIBILITY_S + 1)

    second = _worker(real_worker, sandbox)
    try:
        checked = Account.objects.filter(pk=account.pk, last_checked_at__gt=killed_at)
        _wait(checked.exists, second)
    finally:
        assert second.stop() == 0
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE
    assert "Task accounts.tasks.check_accounts" in second.output()

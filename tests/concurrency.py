"""Race tests: one piece of work in several threads at once, each on its own DB connection."""

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import connections, transaction

T = TypeVar("T")


def run_at_once(work: Callable[[], T], *, threads: int) -> tuple[list[T], list[BaseException]]:
    """Start `work` in `threads` threads released together; their results and their errors."""
    start = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def together() -> None:
        start.wait()
        results.append(work())

    for thread in [in_thread(together, errors) for _ in range(threads)]:
        thread.join()
    return results, errors


def in_thread(work: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    """Start `work` on a connection of its own; what it raises lands in `errors`."""

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # a thread's exception is otherwise lost: the test asserts
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for_a_lock_waiter(cursor: Any, *, waiter: str) -> None:
    """Until another session of this database waits for a lock (ours); the race must really
    happen, so never seeing the waiter fails the test instead of passing it unraced."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is cached per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if cursor.fetchone()[0]:
            return
        time.sleep(0.02)
    pytest.fail(f"{waiter} never waited for the row lock: the race did not happen")


def claim_beside_an_open_claim(
    first: Callable[[], list[int]], second: Callable[[], list[int]]
) -> tuple[list[int], list[int]]:
    """`first` claims in a transaction kept open while `second` claims on a connection of its
    own: what each claimed. The second must take other rows at once (SKIP LOCKED), not wait
    for the first's: waiting fails the test."""
    claimed: list[int] = []
    errors: list[BaseException] = []
    with transaction.atomic():
        held = first()
        racing = in_thread(lambda: claimed.extend(second()), errors)
        racing.join(timeout=10)
        waited = racing.is_alive()
    racing.join()
    assert errors == []
    assert not waited, "the second claim waited for the rows the first one holds"
    return held, claimed

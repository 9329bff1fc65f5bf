"""Race tests: one piece of work in several threads at once, each on its own DB connection."""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_at_once(work: Callable[[], T], *, threads: int) -> tuple[list[T], list[BaseException]]:
    """Start `work` in `threads` threads released together; their results and their errors."""
    start = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(work())
        except BaseException as exc:  # a thread's exception is otherwise lost: the test asserts
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results, errors

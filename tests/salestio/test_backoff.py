"""salestio.backoff: the one backoff (Shopify calls, email retries, postponed checks, Celery)."""

from salestio.backoff import backoff_seconds


def test_each_wait_is_drawn_below_a_doubling_bound() -> None:
    waits = {
        attempt: [backoff_seconds(attempt, base=1, cap=1000) for _ in range(300)]
        for attempt in range(5)
    }
    for attempt, drawn in waits.items():
        assert all(0 <= wait <= 2**attempt for wait in drawn)
    assert max(waits[4]) > 2**3  # the bound really doubles
    assert len(set(waits[4])) > 250  # full jitter: spread, not one fixed wait


def test_the_cap_holds_however_many_attempts_failed() -> None:
    assert all(backoff_seconds(10_000, base=2, cap=600) <= 600 for _ in range(100))
    assert max(backoff_seconds(50, base=2, cap=600) for _ in range(300)) > 300

"""The one backoff of the project: exponential, capped, full jitter.

Each wait is drawn uniformly between 0 and min(cap, base × 2^attempt), so clients that failed
together (every shop when an ESP or a marketplace recovers) spread out instead of retrying in
step: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
"""

import random

# 2^64 × any sane base is past every cap; the bound keeps the float from overflowing.
MAX_DOUBLINGS = 64


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """The wait before retry number `attempt` (0 for the first retry)."""
    bound = min(cap, base * 2 ** min(max(attempt, 0), MAX_DOUBLINGS))
    return random.uniform(0, bound)

"""Every log line that concerns a shop carries its domain (set per request and per task)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_shop_domain: ContextVar[str] = ContextVar("current_shop_domain", default="-")


class ShopContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "shop"):
            record.shop = current_shop_domain.get()
        return True


@contextmanager
def shop_log_context(domain: str) -> Iterator[None]:
    token = current_shop_domain.set(domain)
    try:
        yield
    finally:
        current_shop_domain.reset(token)

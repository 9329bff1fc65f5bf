"""Every log line that concerns a shop carries its domain (set per request and per task), and no
line carries a credential: session tokens ride in page URLs (`?id_token=`) and bearer headers."""

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

current_shop_domain: ContextVar[str] = ContextVar("current_shop_domain", default="-")

# Query parameters that carry a credential: App Bridge's session token, OAuth codes and tokens.
SECRET_PARAMS = ("id_token", "session", "code", "access_token", "refresh_token", "subject_token")
_SECRET_PARAM_RE = re.compile(
    r"(?P<key>(?<![A-Za-z0-9_])(?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"']+"
)
_BEARER_RE = re.compile(r"(?P<key>Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with every token value replaced; the parameter names stay, for debugging."""
    text = _SECRET_PARAM_RE.sub(rf"\g<key>{REDACTED}", text)
    return _BEARER_RE.sub(rf"\g<key>{REDACTED}", text)


class ShopContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "shop"):
            record.shop = current_shop_domain.get()
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line, so a token is caught wherever it came from: the message, its
    arguments (Django's runserver passes the request line as one), or a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


@contextmanager
def shop_log_context(domain: str) -> Iterator[None]:
    token = current_shop_domain.set(domain)
    try:
        yield
    finally:
        current_shop_domain.reset(token)


class OfShop(Protocol):
    @property
    def shop(self) -> Any: ...


def log_each(
    log: logging.Logger,
    rows: Sequence[OfShop],
    message: str,
    args: Callable[[Any], tuple[Any, ...]],
) -> None:
    """`message` for each row, with `args(row)` and its shop: at INFO for a single row, at
    DEBUG for many (a job run's thousands of lines would cost more than the work they tell of;
    the rows themselves are the record, and the caller logs their counts)."""
    level = logging.INFO if len(rows) == 1 else logging.DEBUG
    if log.isEnabledFor(level):
        for row in rows:
            log.log(level, message, *args(row), extra={"shop": row.shop.domain})

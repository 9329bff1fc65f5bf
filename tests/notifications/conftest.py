"""Fixtures of the notification tests: a real SMTP server (aiosmtpd) on loopback, a shop with
every email category on, and one realistic context per category (the contract other apps use)."""

import email
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifications import services
from notifications.models import (
    SETTINGS_CATEGORIES,
    Category,
    Notification,
    NotificationSettings,
)
from salestio import compile_messages
from salestio.models import Shop

CONTEXTS: dict[str, dict[str, Any]] = {
    Category.ORDER_IMPORT_FAILED: {
        "order_id": "302-1234567-7654321",
        "marketplace": "Amazon",
        "error": "No Shopify variant has the SKU 'MUG-RED-L'",
        "action_url": "/orders/41/",
    },
    Category.FULFILLMENT_FAILED: {
        "order_id": "12-34567-89012",
        "marketplace": "eBay",
        "error": "Tracking number not valid for carrier DHL",
    },
    Category.LISTING_UPDATE_FAILED: {
        "sku": "MUG-BLUE-M",
        "marketplace": "Etsy",
        "error": "Quantity must be 999 or less",
    },
    Category.ACCOUNT_EXPIRED: {
        "account_name": "My Amazon account",
        "marketplace": "Amazon",
        "reason": "The seller must re-authorize every 365 days",
        "action_url": "/accounts/7/edit/",
    },
    Category.PLAN_LIMIT: {
        "usage": "5120.00",
        "limit": "5000.00",
        "currency": "EUR",
        "exceeded": True,
        "action_url": "/billing/",
    },
}


def notify_listing(shop: Shop, key: str = "listing:MUG-BLUE-M") -> Notification:
    """A failed listing update, as the listings app reports one."""
    category = Category.LISTING_UPDATE_FAILED
    return services.notify(shop=shop, category=category, key=key, context=CONTEXTS[category])


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    """German emails need the .mo files; `make install` builds them, a bare pytest may not."""
    compile_messages.main()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def header(self, name: str) -> str | None:
        # Django 5.2 folds a long header right after its name ("Subject:\n =?utf-8?…"), which
        # unfolds to a leading space (compat32 header policy); mail clients drop it.
        value = self.message[name]
        return None if value is None else str(value).strip()

    @property
    def subject(self) -> str:
        return self.header("Subject") or ""

    def part(self, content_type: str) -> str:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None and body.get_content_type() == content_type
        return str(body.get_content())


class Inbox:
    """aiosmtpd handler: keeps every message it accepts; `refuse` answers DATA with that reply."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on loopback, with Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def enable(db: None) -> Callable[..., NotificationSettings]:
    """Save settings as the settings page would: the given categories on, shop email by default."""

    def save(shop: Shop, *categories: str, **fields: Any) -> NotificationSettings:
        chosen = categories or SETTINGS_CATEGORIES
        values: dict[str, Any] = {
            str(category): category in chosen for category in SETTINGS_CATEGORIES
        }
        values.update({"use_shop_email": True, "email": "", "language": "en", **fields})
        return services.update_notification_settings(shop=shop, values=values)

    return save

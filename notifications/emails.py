"""The one email renderer: three templates per category (healthchecks' layout),
`emails/<category>-subject.html`, `-body-text.html` and `-body-html.html`, in the email's
language; every email lists its items, so a single notification and a digest share them."""

import contextlib
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from notifications.links import admin_app_url, object_path, unsubscribe_url
from notifications.models import (
    SETTINGS_CATEGORIES,
    Category,
    Email,
    Notification,
    NotificationSettings,
)

# Where an item's link points when the caller gave no `action_url`: (URL name, context field
# searched for on that page).
# The attachment's columns: every item of a long digest, one row each.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    Category.ORDER_IMPORT_FAILED: ("order_id", "marketplace", "error"),
    Category.FULFILLMENT_FAILED: ("order_id", "marketplace", "error"),
    Category.LISTING_UPDATE_FAILED: ("sku", "marketplace", "error"),
    Category.ACCOUNT_EXPIRED: (
        "account_name",
        "marketplace",
        "reason",
        "expires_on",
        "failing_since",
    ),
    Category.PLAN_LIMIT: ("usage", "limit", "currency", "exceeded"),
    Category.TEST: (),
}


# Context fields holding an ISO date (JSON has no date type): the templates get a date, to
# format in the email's language.
DATE_FIELDS = ("expires_on", "failing_since")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(name: str, ctx: dict[str, Any], *, language: str) -> Rendered:
    with translation.override(language):
        subject = render_to_string(f"emails/{name}-subject.html", ctx)
        text = render_to_string(f"emails/{name}-body-text.html", ctx)
        html = render_to_string(f"emails/{name}-body-html.html", ctx)
    # A header is one line; template tags leave blank lines in the text body.
    return Rendered(" ".join(subject.split()), re.sub(r"\n{3,}", "\n\n", text).strip() + "\n", html)


def item_link(notification: Notification) -> str:
    return admin_app_url(notification.shop, object_path(notification))


def email_context(
    email: Email, items: Sequence[Notification], count: int, *, prefs: NotificationSettings
) -> dict[str, Any]:
    """`items` are the first ones to show in the body; `count` is how many the email carries;
    `prefs` the settings it was composed under."""
    shop = email.shop
    shown = [
        {**_with_dates(item.context), "link": item_link(item), "created_at": item.created_at}
        for item in items
    ]
    history = reverse("notifications:history") + "?" + urlencode({"email": email.pk})
    return {
        "shop_name": shop.name or shop.domain,
        "items": shown,
        "item": shown[0] if shown else {},
        "count": count,
        "more": count - len(shown),
        "category_label": Category(email.category).label,
        "history_url": admin_app_url(shop, history),
        "settings_url": admin_app_url(shop, reverse("notifications:settings")),
        "unsubscribe_url": _unsubscribe_url(email),
        "enabled_categories": _enabled_labels(email, prefs),
    }


def _with_dates(context: dict[str, Any]) -> dict[str, Any]:
    """The item's context with its ISO dates as dates; a malformed one stays as it is."""
    dates: dict[str, date] = {}
    for field in DATE_FIELDS:
        with contextlib.suppress(KeyError, ValueError):
            dates[field] = date.fromisoformat(str(context[field]))
    return {**context, **dates}


def _unsubscribe_url(email: Email) -> str:
    return "" if email.category == Category.TEST else unsubscribe_url(email.shop, email.category)


def _enabled_labels(email: Email, prefs: NotificationSettings) -> list[str]:
    """For the test email: which categories this address will hear about."""
    if email.category != Category.TEST:
        return []
    return [str(category.label) for category in SETTINGS_CATEGORIES if prefs.is_enabled(category)]


def headers_for(email: Email) -> dict[str, str]:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or None
    headers = {"Message-ID": make_msgid(idstring=f"email-{email.pk}", domain=domain)}
    if url := _unsubscribe_url(email):
        # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the URL.
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def attachment_for(email: Email) -> tuple[str, str] | None:
    """A digest longer than its body lists every item in a CSV: (filename, content)."""
    items = email.notifications.order_by("created_at", "pk")
    if items.count() <= settings.NOTIFICATION_DIGEST_ITEMS_SHOWN:
        return None
    columns = CSV_COLUMNS[email.category]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("time", *columns))
    for created_at, context in items.values_list("created_at", "context"):
        writer.writerow((created_at.isoformat(), *(context.get(column, "") for column in columns)))
    return f"salestio-{email.category}-{email.pk}.csv", out.getvalue()


def render_stored(email: Email, prefs: NotificationSettings) -> dict[str, Any]:
    """The email's subject, bodies and headers from the items it carries, rendered when it is
    first sent (composing only decides what goes in it); the oldest items are shown."""
    items = email.notifications.order_by("created_at", "pk")
    shown = list(items[: settings.NOTIFICATION_DIGEST_ITEMS_SHOWN])
    for item in shown:
        item.shop = email.shop  # their links name the shop: the same one, without a query each
    count = len(shown) if len(shown) < settings.NOTIFICATION_DIGEST_ITEMS_SHOWN else items.count()
    ctx = email_context(email, shown, count, prefs=prefs)
    rendered = render(email.category, ctx, language=email.language)
    return {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "headers": headers_for(email),
    }


def build_message(email: Email) -> EmailMultiAlternatives:
    """The stored email as a message: every attempt sends the same content and headers."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        headers=email.headers,
    )
    message.attach_alternative(email.html, "text/html")
    if attachment := attachment_for(email):
        message.attach(attachment[0], attachment[1], "text/csv")
    return message

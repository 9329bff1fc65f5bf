"""The only way other apps speak to the merchant: banners and notifications. Also the writes
behind the settings page, unsubscribe links and the ESP's delivery reports."""

import logging
import uuid
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from notifications import routing, selectors
from notifications.models import (
    SETTINGS_CATEGORIES,
    Banner,
    BannerKind,
    BouncedAddress,
    Category,
    Email,
    Notification,
    NotificationSettings,
)
from salestio.db import (
    build,
    insert_all_unless_conflict,
    insert_all_unless_conflict_and_read,
    insert_unless_conflict,
)
from salestio.logging import log_each
from salestio.models import Shop

log = logging.getLogger(__name__)

# A later report never hides a worse earlier one ("delivered" arriving after "bounced").
DELIVERY_RANK: dict[str, int] = {
    Email.Delivery.UNKNOWN: 0,
    Email.Delivery.DEFERRED: 1,
    Email.Delivery.DELIVERED: 2,
    Email.Delivery.BOUNCED: 3,
    Email.Delivery.REJECTED: 3,
    Email.Delivery.COMPLAINED: 4,
}
ADDRESS_DEAD = {Email.Delivery.BOUNCED, Email.Delivery.REJECTED}


def raise_banner(
    *, shop: Shop, kind: BannerKind, subject: str = "", context: dict[str, Any] | None = None
) -> Banner:
    """Show a banner while its condition holds; raising it again updates its context."""
    banner = Banner(shop=shop, kind=kind, subject=subject, context=context or {})
    # The partial unique constraint is the claim: a second raise conflicts instead of adding.
    if insert_unless_conflict(banner):
        return banner
    banner = Banner.objects.get(shop=shop, kind=kind, subject=subject, resolved_at=None)
    if context is not None and banner.context != context:
        banner.context = context
        banner.save(update_fields=["context"])
    return banner


def resolve_banner(*, shop: Shop, kind: BannerKind, subject: str = "") -> bool:
    """The condition cleared: the banner leaves the dashboard and stays in history."""
    return bool(
        Banner.objects.filter(shop=shop, kind=kind, subject=subject, resolved_at=None).update(
            resolved_at=timezone.now()
        )
    )


def notify(
    *, shop: Shop, category: Category, key: str, context: dict[str, Any] | None = None
) -> Notification:
    """Record an incident; idempotent on `key` for as long as the incident is open.

    A one-item notify_many(). Queries per call (pinned by
    tests/notifications/test_notify_queries.py): 2 for a duplicate, 3 suppressed or held for
    the digest, 4 or 5 emailed at once (one more where the email and its rows are written
    apart: not PostgreSQL).
    """
    (notification,) = notify_many([Incident(shop, category, key, context or {})])
    return notification


@dataclass(frozen=True)
class Incident:
    """One problem a job run found, for `notify_many`."""

    shop: Shop
    category: Category
    key: str
    context: dict[str, Any] = field(default_factory=dict)


def notify_many(incidents: Sequence[Incident]) -> list[Notification]:
    """A job run's incidents in one call: one INSERT ... ON CONFLICT, one routing pass.

    The rows are written first, so nothing is lost whatever happens to the emails; a retried
    run finds the open rows and sends nothing more for them. Rows and routing commit together:
    no row is left undecided. The partial unique constraint is the claim: a concurrent call
    with the same incidents waits for the first one's commit, then conflicts and reads its
    rows. Rows go in sorted by (shop, category, key), so two such calls lock in the same order
    and never deadlock. Returns one notification per incident, in order (the same row for an
    incident repeated in the call).
    """
    keys = [(i.shop.pk, str(i.category), i.key) for i in incidents]
    wanted: dict[tuple[int, str, str], Incident] = {}
    for key, incident in zip(keys, incidents, strict=True):
        wanted.setdefault(key, incident)  # a repeated incident: its first context, as notify()
    now = timezone.now()
    rows = [_new_notification(wanted[key], now) for key in sorted(wanted)]
    with transaction.atomic():
        new, facts = _insert_with_routing(rows, now)
        # Routed in the caller's order: the first incident of a window is the one emailed.
        position = {key: n for n, key in enumerate(wanted)}
        new.sort(key=lambda n: position[n.shop_id, n.category, n.key])
        if new:
            routing.route_many(new, now=now, facts=facts)
        found = {(n.shop_id, n.category, n.key): n for n in new}
        if len(found) < len(rows):
            found.update(_open_notifications(wanted.values(), skip=found))
    _log_recorded(new, asked=len(incidents))
    return [found[key] for key in keys]


def _log_recorded(new: Sequence[Notification], *, asked: int) -> None:
    log_each(log, new, "notification %s %s: %s", lambda n: (n.category, n.key, n.status))
    if len(new) > 1:
        statuses = Counter(str(notification.status) for notification in new)
        log.info(
            "%d notification(s) of %d incident(s): %s",
            len(new),
            asked,
            ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
        )


def _insert_with_routing(
    rows: list[Notification], now: datetime
) -> tuple[list[Notification], dict[tuple[int, str], selectors.Routing] | None]:
    """The rows that went in, and on PostgreSQL what routes them, read in the INSERT's own
    statement (a round trip fewer a call); elsewhere route_many() reads that."""
    unique = ("shop", "category", "key")
    if connection.vendor != "postgresql":
        return insert_all_unless_conflict(rows, unique=unique), None
    read, params = selectors.routing_of_inserted(now=now)
    # The read follows its indexes whatever the tables hold (the settings and bounces by shop,
    # the window by its unique key), so the statement is planned once per connection.
    inserted = insert_all_unless_conflict_and_read(
        rows, unique=unique, read=read, params=params, planned_once=True
    )
    new = [notification for notification, _ in inserted]
    shops = {row.shop_id: row.shop for row in rows}
    pairs = [(shops[shop_id], category) for shop_id, category in _pairs_of(new)]
    return new, selectors.routing_from_rows([rest for _, rest in inserted], pairs=pairs)


def _pairs_of(notifications: Iterable[Notification]) -> list[tuple[int, str]]:
    """Each (shop id, category) of the notifications once, in order."""
    return list(dict.fromkeys((n.shop_id, n.category) for n in notifications))


def _new_notification(incident: Incident, now: datetime) -> Notification:
    return build(
        Notification,
        shop=incident.shop,
        category=str(incident.category),
        key=incident.key,
        context=incident.context,
        created_at=now,
    )


def _open_notifications(
    incidents: Iterable[Incident], *, skip: Container[tuple[int, str, str]]
) -> dict[tuple[int, str, str], Notification]:
    """The open rows of incidents recorded before (one query; the shop objects reused)."""
    others = [i for i in incidents if (i.shop.pk, str(i.category), i.key) not in skip]
    shops = {i.shop.pk: i.shop for i in others}
    rows = Notification.objects.filter(
        shop_id__in=shops, key__in={i.key for i in others}, closed_at=None
    )
    found = {}
    for row in rows:
        row.shop = shops[row.shop_id]
        found[row.shop_id, row.category, row.key] = row
    return found


def close_incident(*, shop: Shop, category: Category, key: str) -> None:
    """The incident is fixed: the same key failing again later is a new notification."""
    Notification.objects.filter(shop=shop, category=category, key=key, closed_at=None).update(
        closed_at=timezone.now()
    )


@transaction.atomic
def update_notification_settings(*, shop: Shop, values: dict[str, Any]) -> NotificationSettings:
    prefs, _ = NotificationSettings.objects.update_or_create(
        shop=shop, defaults={**values, "updated_at": timezone.now()}
    )
    # A new address answers the banner asking for one.
    Banner.objects.filter(shop=shop, kind=BannerKind.EMAIL_BOUNCED, resolved_at=None).exclude(
        subject=prefs.address
    ).update(resolved_at=timezone.now())
    return prefs


def unsubscribe(*, shop: Shop, category: str) -> None:
    """One-click unsubscribe: that category off, every other setting untouched."""
    if category not in SETTINGS_CATEGORIES:
        raise ValueError(f"not a category one can unsubscribe from: {category}")
    NotificationSettings.objects.filter(shop=shop).update(
        **{category: False, "updated_at": timezone.now()}
    )
    log.info("unsubscribed from %s", category, extra={"shop": shop.domain})


def send_test_email(*, shop: Shop) -> Notification:
    """The settings page's button: through the outbox like any email, so it shows in history."""
    with transaction.atomic():
        notification = Notification.objects.create(
            shop=shop,
            category=Category.TEST,
            key=f"test:{uuid.uuid4().hex}",
            closed_at=timezone.now(),
        )
        routing.route(notification)
    return notification


def record_delivery_event(
    *, esp_message_id: str, event_type: str, detail: str = ""
) -> Email | None:
    """An ESP tracking report (anymail's normalized event type) for an email we sent."""
    email = None
    if esp_message_id and event_type in DELIVERY_RANK:
        email = Email.objects.select_related("shop").filter(esp_message_id=esp_message_id).first()
    if email is None or DELIVERY_RANK[event_type] < DELIVERY_RANK[email.delivery_status]:
        return email
    Email.objects.filter(pk=email.pk).update(
        delivery_status=event_type,
        delivery_detail=detail[:2000],
        delivery_updated_at=timezone.now(),
    )
    log.info(
        "email %s reported %s: %s", email.pk, event_type, detail, extra={"shop": email.shop.domain}
    )
    if event_type in ADDRESS_DEAD:
        _address_bounced(email, detail)
    elif event_type == Email.Delivery.COMPLAINED and email.category in SETTINGS_CATEGORIES:
        unsubscribe(shop=email.shop, category=email.category)
    return email


def _address_bounced(email: Email, detail: str) -> None:
    """Stop mail to the address and ask the merchant, on the dashboard, for a new one."""
    # A second bounce of the address conflicts with the first one's row and changes nothing.
    insert_unless_conflict(
        BouncedAddress(shop=email.shop, address=email.recipient, description=detail[:2000])
    )
    raise_banner(
        shop=email.shop,
        kind=BannerKind.EMAIL_BOUNCED,
        subject=email.recipient,
        context={"address": email.recipient, "action_url": reverse("notifications:settings")},
    )

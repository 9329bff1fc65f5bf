"""Routing and digests. A notification row exists before anything else happens; then, per shop
and category, the first one claims the digest window and is emailed at once, and later ones wait
for one digest at the window's end. Delivery (notifications.delivery) sends what this composes.

Every claim is a conditional UPDATE whose row count says who won (healthchecks' Flip claim), so
concurrent notify() calls, duplicate tasks and overlapping beat runs never compose twice.
"""

import logging
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from notifications import emails, selectors
from notifications.models import (
    Category,
    DigestWindow,
    Email,
    Notification,
    NotificationSettings,
    insert_unless_conflict,
)
from salestio.models import Shop
from salestio.outbox import publish

log = logging.getLogger(__name__)


def route(notification: Notification) -> None:
    """A new notification: suppress it, email it now, or hold it for the digest (the instance
    is updated to match its row)."""
    shop, category, now = notification.shop, notification.category, timezone.now()
    facts = selectors.routing(shop=shop, category=category, now=now)
    if reason := facts.suppression_reason(category):
        suppress(Notification.objects.filter(pk=notification.pk), reason)
        notification.status, notification.suppressed_reason = Notification.Status.SUPPRESSED, reason
    elif category == Category.TEST or claim_window(
        shop=shop, category=category, busy=facts.window_busy, now=now
    ):
        # The merchant pressed "Send test email" and waits for it: never held for a digest.
        notification.email = _compose(facts.prefs, category)
        if notification.email is not None:
            notification.status = Notification.Status.QUEUED
    else:
        schedule_digest(shop=shop, category=category)


def suppress(rows: QuerySet[Notification], reason: str) -> int:
    return rows.update(status=Notification.Status.SUPPRESSED, suppressed_reason=reason)


def cancel_emails(unsent: QuerySet[Email], reason: str) -> int:
    """Emails not to send after all: "Not sent", and their items say why in the history."""
    ids = list(unsent.values_list("pk", flat=True))
    Email.objects.filter(pk__in=ids).update(status=Email.Status.CANCELLED, next_attempt_at=None)
    suppress(Notification.objects.filter(email_id__in=ids), reason)
    return len(ids)


@transaction.atomic
def cancel_unsent(*, shop: Shop, reason: str) -> None:
    """Nothing more goes out to the shop: waiting emails, held items and due digests stop now.

    An email a worker holds (sending) is left to it: deliver() checks again before each send.
    The lock makes a concurrent claim wait and then find the email cancelled, not queued.
    """
    waiting = Email.objects.filter(
        shop=shop, status__in=[Email.Status.QUEUED, Email.Status.RETRYING]
    ).order_by("pk")
    held = Notification.objects.filter(shop=shop, status=Notification.Status.PENDING)
    cancelled, suppressed = (
        cancel_emails(waiting.select_for_update(), reason),
        suppress(held, reason),
    )
    DigestWindow.objects.filter(shop=shop).update(digest_due_at=None)
    log.info(
        "%d email(s) and %d held item(s) not sent: %s",
        cancelled,
        suppressed,
        reason,
        extra={"shop": shop.domain},
    )


def claim_window(*, shop: Shop, category: str, busy: bool | None, now: datetime) -> bool:
    """True for exactly one caller per window: no email of this category went out within it.

    `busy` is the window as routing() read it (None: no window yet), and saves a write: a
    window read as busy stays busy (last_email_at only moves forward), so its claim would
    fail. Otherwise the writes decide, whatever was read.
    """
    if busy:
        return False
    if busy is None and insert_unless_conflict(
        DigestWindow(shop=shop, category=category, last_email_at=now)
    ):
        return True  # the category's first email opens its window
    quiet_since = now - settings.NOTIFICATION_DIGEST_WINDOW
    claimed = (
        DigestWindow.objects.filter(shop=shop, category=category)
        .filter(Q(last_email_at__isnull=True) | Q(last_email_at__lte=quiet_since))
        .update(last_email_at=now, digest_due_at=None)
    )
    return claimed == 1


def schedule_digest(*, shop: Shop, category: str) -> None:
    """Hold for the window's digest. The row is written, and so locked, even when the digest
    is already scheduled: a flush_digest claiming the window as it ends waits for this commit
    and sends the held row with the rest, instead of sending without it and leaving it pending
    with no digest due (test_digest.py: "held as the window ends")."""
    DigestWindow.objects.filter(shop=shop, category=category).update(
        digest_due_at=Coalesce(
            F("digest_due_at"), F("last_email_at") + settings.NOTIFICATION_DIGEST_WINDOW
        )
    )


def _pending(shop: Shop, category: str) -> QuerySet[Notification]:
    return Notification.objects.filter(
        shop=shop, category=category, status=Notification.Status.PENDING
    )


@transaction.atomic(savepoint=False)  # inside flush_digest's transaction
def compose_digest(*, shop: Shop, category: str) -> Email | None:
    """The digest: settings may have changed since its items arrived (unsubscribed, bounced)."""
    facts = selectors.routing(shop=shop, category=category, now=timezone.now())
    if reason := facts.suppression_reason(category):
        suppress(_pending(shop, category), reason)
        return None
    return _compose(facts.prefs, category)


@transaction.atomic(savepoint=False)
def _compose(prefs: NotificationSettings, category: str) -> Email | None:
    """Put every held notification of (shop, category) into one new email and enqueue it.

    Part of the caller's transaction (notify(), compose_digest()): the email commits with the
    routing that made it, or not at all, so a savepoint of its own would buy nothing.
    """
    shop = prefs.shop
    # Locked in pk order so two composers never deadlock; the second finds nothing left.
    items = list(_pending(shop, category).order_by("pk").select_for_update())
    if not items:
        return None
    email = Email.objects.create(
        shop=shop,
        category=category,
        recipient=prefs.address,
        language=prefs.email_language,
        next_attempt_at=timezone.now(),
    )
    Notification.objects.filter(pk__in=[item.pk for item in items]).update(
        status=Notification.Status.QUEUED, email=email
    )
    _render(email, prefs, items)
    transaction.on_commit(partial(_enqueue_send, email.pk))
    log.info(
        "email %s composed with %d item(s) for %s",
        email.pk,
        len(items),
        category,
        extra={"shop": shop.domain},
    )
    return email


def _render(email: Email, prefs: NotificationSettings, items: list[Notification]) -> None:
    """Render from the rows _compose() locked (no second read); the oldest items are shown."""
    oldest_first = sorted(items, key=lambda item: (item.created_at, item.pk))
    shown = oldest_first[: settings.NOTIFICATION_DIGEST_ITEMS_SHOWN]
    for item in shown:
        item.shop = email.shop  # their links name the shop: the same one, without a query each
    ctx = emails.email_context(email, shown, len(items), prefs=prefs)
    rendered = emails.render(email.category, ctx, language=email.language)
    email.subject, email.text, email.html = rendered.subject, rendered.text, rendered.html
    email.headers = emails.headers_for(email)
    email.save(update_fields=["subject", "text", "html", "headers"])


def _enqueue_send(email_id: int) -> None:
    """The email row is its own outbox entry: a failed publish leaves it to the stalled sweep."""
    from notifications.tasks import send_email

    publish(send_email, email_id)


def due_digest_windows(*, limit: int) -> list[int]:
    due = DigestWindow.objects.filter(digest_due_at__lte=timezone.now()).order_by("digest_due_at")
    return list(due.values_list("pk", flat=True)[:limit])


def flush_digest(*, window_id: int) -> Email | None:
    """The window ended: one digest with everything held in it (if it is still due)."""
    now = timezone.now()
    with transaction.atomic():
        window = DigestWindow.objects.select_related("shop").filter(pk=window_id).first()
        claimed = DigestWindow.objects.filter(pk=window_id, digest_due_at__lte=now).update(
            digest_due_at=None
        )
        if window is None or not claimed:
            return None
        email = compose_digest(shop=window.shop, category=window.category)
        if email is not None:
            DigestWindow.objects.filter(pk=window_id).update(last_email_at=now)
    return email

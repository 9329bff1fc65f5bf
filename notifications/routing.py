"""Routing and digests. A notification row exists before anything else happens; then, per shop
and category, the first one claims the digest window and is emailed at once, and later ones wait
for one digest at the window's end. Delivery (notifications.delivery) sends what this composes.

Every claim is a conditional UPDATE whose row count says who won (healthchecks' Flip claim), so
concurrent notify() calls, duplicate tasks and overlapping beat runs never compose twice.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial, reduce
from operator import or_

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
    insert_all_unless_conflict,
    insert_unless_conflict,
    update_each,
)
from salestio.models import Shop
from salestio.outbox import publish

log = logging.getLogger(__name__)
# The fields _render() fills in, stored after the email row exists (its id is in its links).
RENDERED = ("subject", "text", "html", "headers")


def route(notification: Notification) -> None:
    """A new notification: suppress it, email it now, or hold it for the digest (the instance
    is updated to match its row)."""
    route_many([notification])


def route_many(notifications: Sequence[Notification]) -> None:
    """One routing pass over new notifications (notify_many): one read for every shop and
    category, one write per suppression reason, one for every digest held. Per shop and
    category, as if notify() had been called for each in turn: the first one claims the window
    and is emailed at once, the others wait for the digest (the email made for the first one
    leaves them out)."""
    now = timezone.now()
    groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
    for notification in notifications:
        groups[notification.shop_id, notification.category].append(notification)
    pairs = [(group[0].shop, category) for (_, category), group in groups.items()]
    facts = selectors.routing_many(pairs=pairs, now=now)
    suppressed: dict[str, list[Notification]] = defaultdict(list)
    held: list[tuple[Shop, str]] = []
    candidates: list[tuple[Shop, str, bool | None]] = []
    for (_, category), group in groups.items():
        routed = facts[group[0].shop_id, category]
        if reason := routed.suppression_reason(category):
            suppressed[reason].extend(group)
        elif category == Category.TEST or not routed.window_busy:
            candidates.append((group[0].shop, category, routed.window_busy))
        else:
            held.append((group[0].shop, category))
    won = claim_windows(candidates, now=now)
    emailed: list[tuple[NotificationSettings, str, Sequence[int]]] = []
    for shop, category, _ in candidates:
        group = groups[shop.pk, category]
        if category != Category.TEST and (shop.pk, category) not in won:
            held.append((shop, category))
            continue
        # The merchant pressed "Send test email" and waits for it: never held for a digest.
        emailed.append((facts[shop.pk, category].prefs, category, [n.pk for n in group[1:]]))
        if len(group) > 1:
            held.append((shop, category))
    for email in _compose_many(emailed):
        first = groups[email.shop_id, email.category][0]
        first.email, first.status = email, Notification.Status.QUEUED
    for reason, rows in suppressed.items():
        suppress(Notification.objects.filter(pk__in=[n.pk for n in rows]), reason)
        for notification in rows:
            notification.status = Notification.Status.SUPPRESSED
            notification.suppressed_reason = reason
    schedule_digests(held)


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


def claim_windows(
    candidates: Sequence[tuple[Shop, str, bool | None]], *, now: datetime
) -> set[tuple[int, str]]:
    """claim_window() for many (shop, category, busy as read): the windows that do not exist
    yet are opened in one INSERT; the others (or an insert lost to a concurrent caller) are
    claimed by their conditional UPDATE. Returns the (shop id, category) claimed."""
    fresh = [
        DigestWindow(shop=shop, category=category, last_email_at=now)
        for shop, category, busy in candidates
        if busy is None and category != Category.TEST
    ]
    opened = insert_all_unless_conflict(fresh, unique=("shop", "category"))
    won = {(window.shop_id, window.category) for window in opened}
    for shop, category, busy in candidates:
        if category == Category.TEST or (shop.pk, category) in won or busy:
            continue
        if claim_window(shop=shop, category=category, busy=False, now=now):
            won.add((shop.pk, category))
    return won


def schedule_digest(*, shop: Shop, category: str) -> None:
    """Hold for the window's digest: see schedule_digests()."""
    schedule_digests([(shop, category)])


def schedule_digests(windows: Sequence[tuple[Shop, str]]) -> None:
    """Hold for each window's digest, in one UPDATE. The row is written, and so locked, even
    when the digest is already scheduled: a flush_digest claiming the window as it ends waits
    for this commit and sends the held row with the rest, instead of sending without it and
    leaving it pending with no digest due (test_digest.py: "held as the window ends")."""
    if not windows:
        return
    which = reduce(or_, (Q(shop=shop, category=category) for shop, category in windows))
    DigestWindow.objects.filter(which).update(
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


def _compose(prefs: NotificationSettings, category: str) -> Email | None:
    """Put every held notification of (shop, category) into one new email and enqueue it."""
    composed = _compose_many([(prefs, category, ())])
    return composed[0] if composed else None


@transaction.atomic(savepoint=False)
def _compose_many(
    windows: Sequence[tuple[NotificationSettings, str, Sequence[int]]],
) -> list[Email]:
    """An email per (settings of a shop, category, ids still held) with every notification
    held for it but those ids (route_many(): the same call's later incidents, for the digest).
    Four statements whatever the number of emails: lock the items, insert the emails, queue
    the items, store the rendered emails.

    Part of the caller's transaction (notify_many(), compose_digest()): the emails commit with
    the routing that made them, or not at all, so a savepoint of its own would buy nothing.
    """
    if not windows:
        return []
    prefs_of = {(prefs.shop.pk, category): prefs for prefs, category, _ in windows}
    which = reduce(
        or_,
        (
            Q(shop=prefs.shop, category=category) & ~Q(pk__in=holding)
            for prefs, category, holding in windows
        ),
    )
    # Locked in pk order so two composers never deadlock; the second finds nothing left.
    locked = Notification.objects.filter(which, status=Notification.Status.PENDING)
    items: dict[tuple[int, str], list[Notification]] = defaultdict(list)
    for item in locked.order_by("pk").select_for_update():
        items[item.shop_id, item.category].append(item)
    now = timezone.now()
    composed = Email.objects.bulk_create(
        Email(
            shop=prefs_of[key].shop,
            category=key[1],
            recipient=prefs_of[key].address,
            language=prefs_of[key].email_language,
            next_attempt_at=now,
        )
        for key in items
    )
    queued = Notification.Status.QUEUED
    update_each(
        Notification,
        {
            item.pk: {"status": queued, "email": email.pk}
            for email in composed
            for item in items[email.shop_id, email.category]
        },
    )
    rendered = {}
    for email in composed:
        key = (email.shop_id, email.category)
        _render(email, prefs_of[key], items[key])
        rendered[email.pk] = {name: getattr(email, name) for name in RENDERED}
    update_each(Email, rendered)
    for email in composed:
        transaction.on_commit(partial(_enqueue_send, email.pk))
        log.info(
            "email %s composed with %d item(s) for %s",
            email.pk,
            len(items[email.shop_id, email.category]),
            email.category,
            extra={"shop": email.shop.domain},
        )
    return composed


def _render(email: Email, prefs: NotificationSettings, items: list[Notification]) -> None:
    """Render from the rows _compose_many() locked (no second read); the oldest items are
    shown. The caller stores the result."""
    oldest_first = sorted(items, key=lambda item: (item.created_at, item.pk))
    shown = oldest_first[: settings.NOTIFICATION_DIGEST_ITEMS_SHOWN]
    for item in shown:
        item.shop = email.shop  # their links name the shop: the same one, without a query each
    ctx = emails.email_context(email, shown, len(items), prefs=prefs)
    rendered = emails.render(email.category, ctx, language=email.language)
    email.subject, email.text, email.html = rendered.subject, rendered.text, rendered.html
    email.headers = emails.headers_for(email)


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

"""Routing and digests. A notification row exists before anything else happens; then, per shop
and category, the first one claims the digest window and is emailed at once, and later ones wait
for one digest at the window's end. Delivery (notifications.delivery) sends what this composes.

Every claim is a conditional write whose returned rows say who won (healthchecks' Flip claim), so
concurrent notify() calls, duplicate tasks and overlapping beat runs never compose twice.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Container, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DurationField, Q, QuerySet
from django.utils import timezone

from notifications import selectors
from notifications.models import (
    SHOP_CATEGORY_TYPES,
    Category,
    DigestWindow,
    Email,
    Notification,
    NotificationSettings,
    shop_categories_in,
    shop_categories_sql,
)
from salestio import outbox
from salestio.claims import claim_ids, fan_out
from salestio.db import (
    build,
    execute_planned_once,
    given_rows,
    insert_all,
    insert_all_then,
    insert_sql,
    saved_from,
    update_each,
)
from salestio.logging import log_each
from salestio.models import Shop
from salestio.outbox import publish

log = logging.getLogger(__name__)


def route(notification: Notification) -> None:
    """A new notification: suppress it, email it now, or hold it for the digest (the instance
    is updated to match its row)."""
    route_many([notification])


def route_many(
    notifications: Sequence[Notification],
    *,
    now: datetime | None = None,
    facts: dict[tuple[int, str], selectors.Routing] | None = None,
) -> None:
    """One routing pass over new notifications (notify_many): one read for every shop and
    category, one write per suppression reason, one for the windows claimed and held. Per shop and
    category, as if notify() had been called for each in turn: the first one claims the window
    and is emailed at once, the others wait for the digest (the email made for the first one
    leaves them out). `facts`: each pair's routing as read at `now`, if the caller has read it
    already (notify_many(), with the rows' INSERT)."""
    now = now or timezone.now()
    groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
    for notification in notifications:
        groups[notification.shop_id, notification.category].append(notification)
    if facts is None:
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
    more = {key for key, group in groups.items() if len(group) > 1}
    opening = _opening(candidates, groups, facts, now)
    won, composed = claim_windows(candidates, now=now, more=more, held=held, opening=opening)
    _enqueue_composed(composed, {(e.shop_id, e.category): [item] for e, item in opening})
    done = {(email.shop_id, email.category) for email in composed}
    emailed: list[tuple[NotificationSettings, str, Sequence[int]]] = []
    opened: dict[tuple[int, str], list[int]] = {}
    still_held: list[tuple[Shop, str]] = []  # a claim lost to a concurrent caller; a test email's
    for shop, category, busy in candidates:
        group = groups[shop.pk, category]
        if category != Category.TEST and (shop.pk, category) not in won:
            still_held.append((shop, category))
            continue
        if (shop.pk, category) in done:
            continue
        # The merchant pressed "Send test email" and waits for it: never held for a digest.
        emailed.append((facts[shop.pk, category].prefs, category, [n.pk for n in group[1:]]))
        if busy is None and category != Category.TEST:
            # Won without a window read: this call opened it (a concurrent opener's window is
            # busy, so it is not claimed here), and nothing was held in it before.
            opened[shop.pk, category] = [group[0].pk]
        if len(group) > 1 and category == Category.TEST:
            still_held.append((shop, category))
    for email in [*composed, *_compose_many(emailed, opened=opened)]:
        first = groups[email.shop_id, email.category][0]
        first.email, first.status = email, Notification.Status.QUEUED
    for reason, rows in suppressed.items():
        suppress(Notification.objects.filter(pk__in=[n.pk for n in rows]), reason)
        for notification in rows:
            notification.status = Notification.Status.SUPPRESSED
            notification.suppressed_reason = reason
    schedule_digests(still_held)


def _opening(
    candidates: Sequence[tuple[Shop, str, bool | None]],
    groups: dict[tuple[int, str], list[Notification]],
    facts: dict[tuple[int, str], selectors.Routing],
    now: datetime,
) -> list[tuple[Email, int]]:
    """For claim_windows() on PostgreSQL: the email of each window read as missing, should this
    call open it, with its first notification."""
    if connection.vendor != "postgresql":
        return []
    return [
        (_new_email(facts[shop.pk, category].prefs, category, now), groups[shop.pk, category][0].pk)
        for shop, category, busy in candidates
        if busy is None and category != Category.TEST
    ]


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


def claim_windows(
    candidates: Sequence[tuple[Shop, str, bool | None]],
    *,
    now: datetime,
    more: Container[tuple[int, str]] = (),
    held: Sequence[tuple[Shop, str]] = (),
    opening: Sequence[tuple[Email, int]] = (),
) -> tuple[set[tuple[int, str]], list[Email]]:
    """The windows claimed, as (shop id, category): for each, exactly one caller claims it,
    when no email of its category went out within it. One upsert: a window that does not exist
    yet is opened, one quiet for a whole window (or never emailed) is claimed, and RETURNING
    says which. `busy` is the window as routing read it (None: no window yet), and saves a
    write: a window read as busy stays busy (last_email_at only moves forward), so its claim
    would fail. Otherwise the write decides, whatever was read: a concurrent caller's claim
    is seen by the conflict's WHERE, evaluated on the row as it is once that caller commits.

    `more`: windows with more items of this call than the one emailed; claimed, their digest
    is due a window from now, as schedule_digests() would set it right after the claim.
    `held`: windows read as busy, held for their digest (schedule_digests()); on PostgreSQL in
    the same statement, a data-modifying WITH (the rows are not the claimed ones: a statement
    must not write a row twice).
    `opening` (PostgreSQL): for windows read as missing, the email to send at once should this
    call open them, and its one item (nothing was held in a window that did not exist). Each
    is inserted, and its item queued in it, in the same statement, where the claim is won.
    Returns the windows won, and the emails of `opening` inserted.

    On PostgreSQL the statement is prepared once per connection (execute_planned_once): its
    text is the same for any number of windows, and its plan has nothing to choose (upserts
    find their rows by the unique key, the items by primary key); planning it anew took as
    long as running it (bench_notify)."""
    pairs = [
        (shop.pk, category)
        for shop, category, busy in candidates
        if category != Category.TEST and not busy
    ]
    if not pairs or (held and connection.vendor != "postgresql"):
        schedule_digests(held)
        held = ()
    if not pairs:
        return set(), []
    adapt = connection.ops.adapt_datetimefield_value
    claimed_at, due = adapt(now), adapt(now + settings.NOTIFICATION_DIGEST_WINDOW)
    rows, params = given_rows(
        [(*pair, claimed_at, due if pair in more else None) for pair in pairs],
        (*SHOP_CATEGORY_TYPES, "timestamptz", "timestamptz"),
        connection,
    )
    table = connection.ops.quote_name(DigestWindow._meta.db_table)
    claim = _CLAIM_SQL.format(table=table, rows=rows)
    params.append(adapt(now - settings.NOTIFICATION_DIGEST_WINDOW))
    steps: list[str] = []
    before: list[Any] = []
    if held:
        hold_sql, before = _schedule_sql(held)
        steps.append(f"held AS ({hold_sql})")
    if opening:
        return _claim_and_open(steps, (claim, [*before, *params]), opening)
    sql = f"WITH {', '.join(steps)} {claim}" if steps else claim
    with connection.cursor() as cursor:
        execute_planned_once(cursor, sql, [*before, *params])
        return {(shop_id, category) for shop_id, category in cursor.fetchall()}, []


def _claim_and_open(
    steps: list[str], claim: tuple[str, list[Any]], opening: Sequence[tuple[Email, int]]
) -> tuple[set[tuple[int, str]], list[Email]]:
    """claim_windows() with `opening`: the claim, then the emails of the windows it won, and
    their items queued, as one statement (a round trip fewer a notify_many() call)."""
    emails = [email for email, _ in opening]
    unique = ("shop", "category")
    insert, insert_params, fixed_text = insert_sql(emails, unique=unique, only=_WON)
    sql = (
        f"WITH {', '.join([*steps, f'claimed AS ({claim[0]})'])}, inserted AS ({insert}), "
        f"after_insert AS ({_QUEUE_INSERTED_SQL}) {_CLAIMED_AND_OPENED}"
    )
    items = [(item, email.shop_id, email.category) for email, item in opening]
    params = [*claim[1], *insert_params, *_queue_params(items)]
    with connection.cursor() as cursor:
        if fixed_text:
            execute_planned_once(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        answered = cursor.fetchall()
    opened = [(email_id, shop_id, category) for shop_id, category, email_id in answered if email_id]
    won = {(shop_id, category) for shop_id, category, _ in answered}
    return won, saved_from(emails, unique=unique, rows=opened)


# Of the emails given to _claim_and_open(), those of the windows claimed; then what it answers:
# each window claimed, and the email inserted for it, if any.
_WON = "(shop_id, category) IN (SELECT shop_id, category FROM claimed)"
_CLAIMED_AND_OPENED = """
SELECT c.shop_id, c.category, i.id
  FROM claimed c LEFT JOIN inserted i ON i.shop_id = c.shop_id AND i.category = c.category
"""


# Opens the windows that are missing and claims the quiet ones (ON CONFLICT ... DO UPDATE
# ... WHERE: PostgreSQL; SQLite 3.35+ with RETURNING); a busy window is neither written nor
# returned.
_CLAIM_SQL = """
INSERT INTO {table} AS w (shop_id, category, last_email_at, digest_due_at) {rows}
ON CONFLICT (shop_id, category) DO UPDATE
   SET last_email_at = excluded.last_email_at, digest_due_at = excluded.digest_due_at
 WHERE w.last_email_at IS NULL OR w.last_email_at <= %s
RETURNING shop_id, category
"""


def schedule_digest(*, shop: Shop, category: str) -> None:
    """Hold for the window's digest: see schedule_digests()."""
    schedule_digests([(shop, category)])


def schedule_digests(windows: Sequence[tuple[Shop, str]]) -> None:
    """Hold for each window's digest, in one statement. Every window is locked, even when its
    digest is already scheduled: a flush_digest claiming the window as it ends waits for this
    commit and sends the held row with the rest, instead of sending without it and leaving it
    pending with no digest due (test_digest.py: "held as the window ends")."""
    if not windows:
        return
    with connection.cursor() as cursor:
        cursor.execute(*_schedule_sql(windows))


def _schedule_sql(windows: Sequence[tuple[Shop, str]]) -> tuple[str, list[Any]]:
    """The statement of schedule_digests(). On PostgreSQL an upsert: ON CONFLICT finds each
    window by its unique index and locks it, and DO UPDATE ... WHERE writes only those without
    a digest due, judged on the row as it is once locked (a flush that cleared it meanwhile has
    committed). Rewriting every busy window, found by scanning them all, cost more than the
    rest of the claim (bench_notify). A window gone meanwhile comes back with its digest due a
    window from now. Locked in (shop, category) order, as every caller locks them. SQLite has
    one writer at a time: its write is the lock."""
    table = connection.ops.quote_name(DigestWindow._meta.db_table)
    pairs = sorted({(shop.pk, category) for shop, category in windows})  # the order of locking
    length = DurationField().get_db_prep_value(settings.NOTIFICATION_DIGEST_WINDOW, connection)
    if connection.vendor != "postgresql":
        where, params = shop_categories_sql(table, pairs)
        # last_email_at + the window, as the ORM would write F() + timedelta for this database.
        window_end = connection.ops.combine_duration_expression("+", ["last_email_at", "%s"])
        held = f"COALESCE(digest_due_at, {window_end})"
        return f"UPDATE {table} SET digest_due_at = {held} WHERE {where}", [length, *params]
    given, params = given_rows(pairs, SHOP_CATEGORY_TYPES, connection)
    due = timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW
    sql = _HOLD_SQL.format(table=table, given=given)
    return sql, [connection.ops.adapt_datetimefield_value(due), *params, length]


_HOLD_SQL = """
INSERT INTO {table} AS w (shop_id, category, last_email_at, digest_due_at)
SELECT column1, column2, NULL, %s::timestamptz FROM ({given}) AS pair
ON CONFLICT (shop_id, category) DO UPDATE SET digest_due_at = w.last_email_at + %s
 WHERE w.digest_due_at IS NULL
"""


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


def _lock_held(
    windows: Sequence[tuple[NotificationSettings, str, Sequence[int]]],
) -> dict[tuple[int, str], list[int]]:
    """The ids of the items held for each window but those still held back, locked."""
    if not windows:
        return {}
    # The ids held back belong to their own window: excluding them all at once is the same.
    holding = [pk for _, _, held in windows for pk in held]
    pairs = [(prefs.shop.pk, category) for prefs, category, _ in windows]
    locked = Notification.objects.filter(
        shop_categories_in(Notification, pairs), status=Notification.Status.PENDING
    ).exclude(pk__in=holding)
    # Locked in pk order so two composers never deadlock; the second finds nothing left.
    items: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, shop_id, category in (
        locked.order_by("pk").select_for_update().values_list("pk", "shop_id", "category")
    ):
        items[shop_id, category].append(pk)
    return items


def _compose(prefs: NotificationSettings, category: str) -> Email | None:
    """Put every held notification of (shop, category) into one new email and enqueue it."""
    composed = _compose_many([(prefs, category, ())])
    return composed[0] if composed else None


@transaction.atomic(savepoint=False)
def _compose_many(
    windows: Sequence[tuple[NotificationSettings, str, Sequence[int]]],
    *,
    opened: dict[tuple[int, str], list[int]] | None = None,
) -> list[Email]:
    """An email per (settings of a shop, category, ids still held) with every notification
    held for it but those ids (route_many(): the same call's later incidents, for the digest).
    `opened`: the items of windows the caller has just opened, known without a read.
    Three statements whatever the number of emails: lock the items, insert the emails, queue
    the items. The emails are rendered when they are sent.

    Part of the caller's transaction (notify_many(), compose_digest()): the emails commit with
    the routing that made them, or not at all, so a savepoint of its own would buy nothing.
    """
    if not windows:
        return []
    prefs_of = {(prefs.shop.pk, category): prefs for prefs, category, _ in windows}
    opened = opened or {}
    items = _lock_held([w for w in windows if (w[0].shop.pk, w[1]) not in opened])
    items.update({key: pks for key, pks in opened.items() if key in prefs_of})
    now = timezone.now()
    composed = [_new_email(prefs_of[key], key[1], now) for key in items]
    _insert_queued(composed, items)
    _enqueue_composed(composed, items)
    return composed


def _enqueue_composed(composed: list[Email], items: dict[tuple[int, str], list[int]]) -> None:
    """Send the emails once the caller's transaction commits, a few to a task."""
    # Rendered when sent (delivery.deliver()): the templates cost more than everything else
    # here, and a job run's notify_many() is not the place to pay for them (bench_notify).
    ids = [email.pk for email in composed]
    for start in range(0, len(ids), settings.NOTIFICATION_SEND_BATCH):
        transaction.on_commit(
            partial(_enqueue_send, ids[start : start + settings.NOTIFICATION_SEND_BATCH])
        )
    _log_composed(composed, items)


def _log_composed(composed: list[Email], items: dict[tuple[int, str], list[int]]) -> None:
    def held(email: Email) -> int:
        return len(items[email.shop_id, email.category])

    log_each(
        log,
        composed,
        "email %s composed with %d item(s) for %s",
        lambda email: (email.pk, held(email), email.category),
    )
    if len(composed) > 1:
        log.info("%d email(s) composed with %d item(s)", len(composed), sum(map(held, composed)))


def _insert_queued(composed: list[Email], items: dict[tuple[int, str], list[int]]) -> None:
    """Insert the emails and put their items in them: on PostgreSQL in one statement, whose
    UPDATE finds each item's email among the rows just inserted by its shop and category
    (one email per window); elsewhere an INSERT, then an UPDATE giving each item its email."""
    if connection.vendor == "postgresql":
        queued_items = [
            (pk, email.shop_id, email.category)
            for email in composed
            for pk in items[email.shop_id, email.category]
        ]
        insert_all_then(
            composed,
            unique=("shop", "category"),
            then=_QUEUE_INSERTED_SQL,
            params=_queue_params(queued_items),
        )
        return
    insert_all(composed)
    update_each(
        Notification,
        {
            pk: {"status": Notification.Status.QUEUED, "email": email.pk}
            for email in composed
            for pk in items[email.shop_id, email.category]
        },
    )


# The items of the emails just inserted (`inserted`: see insert_all_then), each into its
# window's email, found by primary key: by the shop's index instead, every run read all of a
# busy shop's rows. The items as arrays (id, shop, category; _queue_params()): the statement's
# text is the same for any number of them.
_QUEUE_INSERTED_SQL = f"""
UPDATE {Notification._meta.db_table} AS n SET status = %s, email_id = inserted.id
  FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS item(id, shop_id, category)
  JOIN inserted ON inserted.shop_id = item.shop_id AND inserted.category = item.category
 WHERE n.id = item.id
"""


def _queue_params(items: Sequence[tuple[int, int, str]]) -> list[Any]:
    """_QUEUE_INSERTED_SQL's parameters for these items, each (id, shop id, category)."""
    ids = [pk for pk, _, _ in items]
    shop_ids = [shop_id for _, shop_id, _ in items]
    categories = [category for _, _, category in items]
    return [Notification.Status.QUEUED.value, ids, shop_ids, categories]


def _new_email(prefs: NotificationSettings, category: str, now: datetime) -> Email:
    return build(
        Email,
        shop=prefs.shop,
        category=category,
        recipient=prefs.address,
        language=prefs.email_language,
        next_attempt_at=now,
        created_at=now,
    )


def _enqueue_send(email_ids: list[int]) -> None:
    """The email rows are their own outbox entries: a failed publish leaves them to the stalled
    sweep. One task for a few emails: a job run's burst costs a few publishes, not one each."""
    from notifications.tasks import send_emails

    publish(send_emails, email_ids)


def claim_due_digests(*, now: datetime, limit: int) -> list[int]:
    """Lease up to `limit` windows whose digest is due (digest_due_idx), oldest first, in one
    statement: digest_due_at moves on by the outbox's lease, so a window whose flush task is
    lost or whose worker dies is due again then (flush_digest() sends a window's digest once)."""
    due = DigestWindow.objects.filter(digest_due_at__lte=now).order_by("digest_due_at")
    return claim_ids(due, limit=limit, lease={"digest_due_at": now + outbox.lease()})


def fan_out_due_digests(
    *, now: datetime, limit: int, size: int, enqueue: Callable[[list[int]], object]
) -> int:
    """Claim the due windows and hand them on in batches of `size`: one query whatever the
    number due. Returns how many windows."""
    window_ids = claim_due_digests(now=now, limit=limit)
    fan_out(window_ids, size=size, enqueue=enqueue)
    return len(window_ids)


def _held_past_its_window(now: datetime) -> Q:
    """A digest held in a window that has ended. Not `digest_due_at <= now`: the sweep's lease
    moved that on (claim_due_digests()). A flush task delivered late never sends a window's
    digest early, since the window is judged by when its last email went out."""
    ended = Q(last_email_at__isnull=True) | Q(
        last_email_at__lte=now - settings.NOTIFICATION_DIGEST_WINDOW
    )
    return Q(digest_due_at__isnull=False) & ended


def flush_digest(*, window_id: int) -> Email | None:
    """The window ended: one digest with everything held in it (if it is still held). Of two
    flushes of one window, the row lock lets one clear digest_due_at; the other finds nothing."""
    now = timezone.now()
    with transaction.atomic():
        window = DigestWindow.objects.select_related("shop").filter(pk=window_id).first()
        claimed = DigestWindow.objects.filter(_held_past_its_window(now), pk=window_id).update(
            digest_due_at=None
        )
        if window is None or not claimed:
            return None
        email = compose_digest(shop=window.shop, category=window.category)
        if email is not None:
            DigestWindow.objects.filter(pk=window_id).update(last_email_at=now)
    return email

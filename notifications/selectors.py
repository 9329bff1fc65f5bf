"""Reads: banners, the merchant's email settings, who an email would go to (and whether it
would go now), the history."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from notifications.models import (
    SHOP_CATEGORY_TYPES,
    Banner,
    BouncedAddress,
    Category,
    Email,
    Notification,
    NotificationSettings,
)
from salestio.db import Read, any_of, given_rows, models_from_rows
from salestio.models import Shop

HISTORY_PAGE_SIZE = 50


def active_banners(*, shop: Shop) -> QuerySet[Banner]:
    return Banner.objects.filter(shop=shop, resolved_at=None).order_by("-raised_at")


# The newest of active_banners() and the settings: dashboard reads, written out
# (docs/architecture.md, "The dashboard's reads").
NEWEST_ACTIVE_BANNERS_SQL = f"""
SELECT * FROM {Banner._meta.db_table} WHERE shop_id = %s AND resolved_at IS NULL
 ORDER BY raised_at DESC LIMIT %s
"""
SETTINGS_SQL = f"SELECT * FROM {NotificationSettings._meta.db_table} WHERE shop_id = %s"


def dashboard_banners_read(*, shop: Shop) -> Read[Banner, tuple[list[Banner], bool]]:
    """The newest DASHBOARD_BANNERS active banners, newest first, and whether there are more:
    a shop with a thousand expired accounts gets a page that costs what a shop with ten does."""
    limit = settings.DASHBOARD_BANNERS

    def newest(rows: list[Banner]) -> tuple[list[Banner], bool]:
        rows.sort(key=lambda banner: (banner.raised_at, banner.pk), reverse=True)
        return rows[:limit], len(rows) > limit

    return Read(Banner, NEWEST_ACTIVE_BANNERS_SQL, [shop.pk, dashboard_banner_rows()], newest)


def dashboard_banner_rows() -> int:
    """How many of the newest active banners the dashboard reads: one more than it shows."""
    return settings.DASHBOARD_BANNERS + 1


def notification_settings(*, shop: Shop) -> NotificationSettings:
    """The saved settings, or the defaults (every category off) without writing a row."""
    return notification_settings_read(shop=shop).run()


def notification_settings_read(*, shop: Shop) -> Read[NotificationSettings, NotificationSettings]:
    def saved_or_defaults(rows: list[NotificationSettings]) -> NotificationSettings:
        if not rows:
            return _defaults(shop)
        rows[0].shop = shop
        return rows[0]

    return Read(NotificationSettings, SETTINGS_SQL, [shop.pk], saved_or_defaults)


def _defaults(shop: Shop) -> NotificationSettings:
    return NotificationSettings(shop=shop)


def address_bounced(*, shop: Shop, address: str) -> bool:
    return BouncedAddress.objects.filter(shop=shop, address=address.strip().lower()).exists()


@dataclass(frozen=True)
class Routing:
    """What decides where a notification of one category goes: see routing()."""

    prefs: NotificationSettings
    address_bounced: bool
    # An email of the category went out within the digest window; None: it has no window yet.
    window_busy: bool | None

    def suppression_reason(self, category: str) -> str:
        """Why nothing would be emailed for `category` now ("" when it would be)."""
        reasons, prefs = Notification.Suppression, self.prefs
        if not prefs.shop.is_installed:
            return reasons.UNINSTALLED
        if not prefs.is_enabled(category):
            return reasons.CATEGORY_OFF
        if not prefs.address:
            return reasons.NO_ADDRESS
        if self.address_bounced:
            return reasons.ADDRESS_BOUNCED
        return reasons.NONE


# Every notify() reads this, so it is written out: composed by the ORM (Exists, Subquery, Case)
# it cost 1.6 ms of CPU a call, ten times the query itself (bench_notify). One row per asked
# (shop, category) whose shop has settings. Driven by the asked pairs, so the window is found
# by its unique index (one_window_per_category), not by hashing every window of the asked
# categories, and no shop's settings come again for windows nobody asked about; the owner's
# address too, by the shop's key, only where a bounce is to be checked (not by hashing every
# shop). The CASE is NotificationSettings.address. The pairs are given_rows(), columns column1
# and column2. The shops' ids again in the WHERE: the settings by their shop_id index, not by
# hashing every shop's (which a single notify() paid in full).
ROUTING_SQL = """
SELECT {columns},
       EXISTS (SELECT 1 FROM notifications_bouncedaddress b
                WHERE b.shop_id = s.shop_id
                  AND b.address = CASE WHEN s.use_shop_email
                                       THEN (SELECT LOWER(TRIM(o.owner_email)) FROM {shops} o
                                              WHERE o.id = s.shop_id)
                                       ELSE LOWER(TRIM(s.email)) END) AS address_bounced,
       v.column2 AS category,
       (SELECT w.last_email_at > %s FROM notifications_digestwindow w
         WHERE w.shop_id = v.column1 AND w.category = v.column2) AS window_busy
  FROM ({pairs}) AS v
  JOIN notifications_notificationsettings s ON s.shop_id = v.column1
 WHERE s.shop_id {of_shops}
"""
_SETTINGS_COLUMNS = tuple(str(field.column) for field in NotificationSettings._meta.concrete_fields)
_SHOP_ID = _SETTINGS_COLUMNS.index("shop_id")


def routing(*, shop: Shop, category: str, now: datetime) -> Routing:
    """The settings, whether their address bounced, and whether the category's digest window
    is busy at `now`: everything notify() decides on, in one query."""
    return routing_many(pairs=[(shop, category)], now=now)[shop.pk, category]


def routing_many(
    *, pairs: Sequence[tuple[Shop, str]], now: datetime
) -> dict[tuple[int, str], Routing]:
    """routing() for every (shop, category) of a notify_many() call, in one query. Read with a
    plain cursor: a model instance for each row cost more than the query (bench_notify)."""
    asked = list(dict.fromkeys((shop.pk, category) for shop, category in pairs))
    given, pair_params = given_rows(asked, SHOP_CATEGORY_TYPES, connection)
    of_shops, shop_params = any_of(list({pk for pk, _ in asked}), "bigint", connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _routing_sql(pairs=given, of_shops=of_shops),
            [_quiet_since(now), *pair_params, *shop_params],
        )
        return routing_from_rows(cursor.fetchall(), pairs=pairs)


def routing_of_inserted(*, now: datetime) -> tuple[str, list[Any]]:
    """routing_many() for the notifications just inserted, in the INSERT's statement
    (salestio.db.insert_all_unless_conflict_and_read(), PostgreSQL): per row inserted, its id,
    shop, category and key, then the routing columns of its shop and category (NULL where the
    shop has no settings) for routing_from_rows()."""
    routing = _routing_sql(
        pairs="SELECT DISTINCT shop_id AS column1, category AS column2 FROM inserted",
        of_shops="IN (SELECT shop_id FROM inserted)",
    )
    sql = f"""
    SELECT i.id, i.shop_id, i.category, i.key, r.*
      FROM inserted i
      LEFT JOIN ({routing}) AS r ON r.shop_id = i.shop_id AND r.category = i.category
    """
    return sql, [_quiet_since(now)]


def routing_from_rows(
    rows: Iterable[Sequence[Any]], *, pairs: Sequence[tuple[Shop, str]]
) -> dict[tuple[int, str], Routing]:
    """Each pair's Routing from rows of ROUTING_SQL's columns (a pair's row may come again, or
    be all NULL: its shop has no settings)."""
    shops = {shop.pk: shop for shop, _ in pairs}
    columns: dict[int, Sequence[Any]] = {}
    bounced: dict[int, bool] = {}
    busy: dict[tuple[int, str], bool] = {}
    width = len(_SETTINGS_COLUMNS)
    for row in rows:
        shop_id, (is_bounced, category, window_busy) = row[_SHOP_ID], row[width:]
        if shop_id is not None and shop_id not in columns:
            columns[shop_id] = row[:width]
            bounced[shop_id] = bool(is_bounced)  # SQLite answers 0 and 1 for booleans
        if window_busy is not None:
            busy[shop_id, category] = bool(window_busy)
    saved = {
        prefs.shop_id: (prefs, bounced[prefs.shop_id])
        for prefs in _settings_of(list(columns.values()), shops)
    }
    routed = {}
    for shop, category in pairs:
        shop_id = shop.pk
        routed[shop_id, category] = _routing(
            shop, category, saved.get(shop_id), busy.get((shop_id, category))
        )
    return routed


def _routing_sql(*, pairs: str, of_shops: str) -> str:
    return ROUTING_SQL.format(
        columns=", ".join(f"s.{connection.ops.quote_name(name)}" for name in _SETTINGS_COLUMNS),
        shops=Shop._meta.db_table,
        pairs=pairs,
        of_shops=of_shops,
    )


def _quiet_since(now: datetime) -> Any:
    """A window whose last email went out before this is quiet (not busy) at `now`."""
    return connection.ops.adapt_datetimefield_value(now - settings.NOTIFICATION_DIGEST_WINDOW)


def _settings_of(rows: list[Sequence[Any]], shops: dict[int, Shop]) -> list[NotificationSettings]:
    """The settings from their columns, converted as the ORM's reads convert them (SQLite
    answers 0 and 1 for booleans and text for datetimes; PostgreSQL needs nothing here), each
    with its shop object (cached as the field caches it; the shop is not told of its settings,
    which `prefs.shop = shop` would do)."""
    found = models_from_rows(NotificationSettings, _SETTINGS_COLUMNS, rows, using=connection.alias)
    for prefs in found:
        _SHOP_FIELD.set_cached_value(prefs, shops[prefs.shop_id])
    return found


_SHOP_FIELD = NotificationSettings._meta.get_field("shop")


def _routing(
    shop: Shop,
    category: str,
    saved: tuple[NotificationSettings, bool] | None,
    window_busy: bool | None,
) -> Routing:
    if saved is None:
        # The defaults switch every category off: only the test email needs the bounce check.
        prefs = _defaults(shop)
        bounced = category == Category.TEST and address_bounced(shop=shop, address=prefs.address)
        return Routing(prefs, bounced, window_busy=None)
    prefs, bounced = saved
    return Routing(prefs, bounced, window_busy)


def reason_not_to_send(*, email: Email, prefs: NotificationSettings) -> str:
    """Why a composed email must not go out after all ("" when it may): while it waited, the
    shop may have uninstalled the app, switched the category off or seen the address bounce.
    `prefs`: the shop's settings as they are now (notification_settings())."""
    bounced = address_bounced(shop=email.shop, address=email.recipient)
    return Routing(prefs, bounced, window_busy=None).suppression_reason(email.category)


def history(
    *, shop: Shop, category: str = "", email_id: int | None = None
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(shop=shop).select_related("email")
    if category in Category.values:
        rows = rows.filter(category=category)
    if email_id is not None:
        rows = rows.filter(email_id=email_id)
    return rows.order_by("-created_at", "-pk")


def notification_of(*, shop: Shop, pk: int) -> Notification | None:
    return Notification.objects.filter(shop=shop, pk=pk).select_related("email").first()


# The newest open incidents and the newest resolved ones, each scan limited on its own (the
# history index, newest first) and both in one round trip. The ORM cannot write this UNION for
# SQLite (no LIMIT in a compound SELECT's parts there; a derived table is fine).
_NEWEST_PROBLEMS = """
SELECT * FROM (SELECT {columns} FROM {table}
                WHERE shop_id = %s AND category <> %s AND closed_at IS {state}
                ORDER BY created_at DESC, id DESC LIMIT %s) AS {alias}
"""
PROBLEM_COLUMNS = ("id", "shop_id", "category", "context", "created_at", "closed_at")
_EITHER = " UNION ALL ".join(
    _NEWEST_PROBLEMS.format(
        columns=", ".join(PROBLEM_COLUMNS),
        table=Notification._meta.db_table,
        state=state,
        alias=alias,
    )
    for state, alias in (("NULL", "open_ones"), ("NOT NULL", "resolved_ones"))
)
# Of those, the page's few: open ones first (the page reads no more rows than it shows).
RECENT_PROBLEMS_SQL = f"""
SELECT * FROM ({_EITHER}) AS newest
 ORDER BY closed_at IS NULL DESC, created_at DESC, id DESC LIMIT %s
"""


def recent_problems_read(*, shop: Shop, limit: int = 5) -> Read[Notification, list[Notification]]:
    """Open incidents first (newest first), then the latest resolved ones to fill up: one
    query, whatever the number of notifications."""

    def open_first(rows: list[Notification]) -> list[Notification]:
        rows.sort(key=lambda n: (n.closed_at is None, n.created_at, n.pk), reverse=True)
        return rows[:limit]

    params = [shop.pk, Category.TEST, limit]
    return Read(
        Notification, RECENT_PROBLEMS_SQL, [*params, *params, limit], open_first, PROBLEM_COLUMNS
    )

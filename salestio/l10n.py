"""The one localisation of numbers, money and dates (Babel), in the shop's time zone.

Every page and email formats through these functions (or the template filters in
salestio/templatetags/l10n.py), so each kind of value has one format per language.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

JUST_NOW_SECONDS = 60


def babel_locale(language: str | None = None) -> str:
    """Django's language code ("de", "en-us") as a Babel locale ("de", "en_US")."""
    return translation.to_locale(language or translation.get_language() or "en")


def shop_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def money(amount: object, currency: str) -> str:
    """ "5.120,00 €" in German, "€5,120.00" in English; the amount as given if not a number."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_currency(value, currency or "EUR", locale=babel_locale())


def number(value: object) -> str:
    try:
        return format_decimal(Decimal(str(value)), locale=babel_locale())
    except InvalidOperation:
        return str(value)


def activate_shop_zone(zone_name: str | None) -> None:
    """Dates of this request (page or email) are shown in the shop's zone from Shopify."""
    timezone.activate(shop_zone(zone_name))


def _local(moment: datetime) -> datetime:
    aware = moment if timezone.is_aware(moment) else timezone.make_aware(moment, ZoneInfo("UTC"))
    return timezone.localtime(aware)


def date_short(value: date | datetime | str | None) -> str:
    """A calendar day: "30.11.2026" / "Nov 30, 2026"."""
    day = _as_date(value)
    return format_date(day, "medium", locale=babel_locale()) if day else ""


def datetime_short(value: datetime | None) -> str:
    """A moment: "30.11.2026, 18:12" / "Nov 30, 2026, 6:12 PM", in the shop's time zone."""
    if value is None:
        return ""
    local, locale = _local(value), babel_locale()
    # CLDR's own glue ("{1}, {0}") around a medium date and a short time (no seconds).
    glue = str(get_datetime_format("medium", locale=locale))  # a str pattern for "medium"
    return glue.format(
        format_time(local, "short", locale=locale), format_date(local, "medium", locale=locale)
    )


def relative(value: datetime | None, *, now: datetime | None = None) -> str:
    """Under a minute "just now", else "5 minutes ago" / "vor 5 Minuten" (and hours, days)."""
    if value is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - value).total_seconds()))
    if seconds < JUST_NOW_SECONDS:
        return gettext("just now")
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}


def _as_date(value: date | datetime | str | None) -> date | None:
    if isinstance(value, datetime):
        return _local(value).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None

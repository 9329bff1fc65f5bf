"""How each banner kind reads on the dashboard: tone, the seed's text, and its action button."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from string import Formatter

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from notifications.links import is_app_path, page_path
from notifications.models import Banner, BannerKind
from salestio import l10n
from salestio.errors import explain


@dataclass(frozen=True)
class BannerAction:
    label: Promise
    url_name: str  # where the button leads when the banner's context has no action_url


@dataclass(frozen=True)
class BannerText:
    tone: str
    heading: Promise
    # A format_html() template; the context's values are escaped into it.
    message: Promise
    action: BannerAction


@dataclass(frozen=True)
class BannerView:
    tone: str
    heading: str
    message: SafeString
    action_label: str
    action_url: str


RECONNECT = BannerAction(_("Confirm connection"), "accounts:list")
CHANGE_PLAN = BannerAction(_("Change plan"), "billing:plans")
CHANGE_ADDRESS = BannerAction(_("Change email address"), "notifications:settings")

TEXTS: dict[str, BannerText] = {
    BannerKind.ACCOUNT_EXPIRED: BannerText(
        "critical",
        _("Account expired"),
        _(
            "Account '{account_name}' has expired. Reconnect your {marketplace} account to "
            "ensure product and order sync."
        ),
        RECONNECT,
    ),
    BannerKind.ACCOUNT_EXPIRING: BannerText(
        "warning",
        _("Account expires soon"),
        _(
            "Account '{account_name}' expires on {expires_on}. Reconnect your {marketplace} "
            "account before then to keep product and order sync running."
        ),
        RECONNECT,
    ),
    BannerKind.ACCOUNT_FAILING: BannerText(
        "warning",
        _("Account cannot be reached"),
        _(
            "Account '{account_name}' cannot be reached since {failing_since}. {reason} "
            "Confirm the connection of your {marketplace} account to ensure "
            "product and order sync."
        ),
        RECONNECT,
    ),
    BannerKind.PLAN_LIMIT_NEAR: BannerText(
        "warning",
        _("You have almost reached the subscription limit"),
        _(
            "You have almost reached the subscription limit. Once the limit is reached, order "
            "import and product sync will be paused. Please consider changing your subscription "
            "plan under Salestio > Dashboard or via {link}."
        ),
        CHANGE_PLAN,
    ),
    BannerKind.PLAN_LIMIT_EXCEEDED: BannerText(
        "critical",
        _("Subscription limit exceeded"),
        _(
            "Order export was stopped because the subscription limit was exceeded. Change your "
            "plan to resume now; otherwise the app resumes on its own when the new billing "
            "period begins."
        ),
        CHANGE_PLAN,
    ),
    BannerKind.EMAIL_BOUNCED: BannerText(
        "critical",
        _("Notification emails bounce"),
        _(
            "Emails to {address} bounced, so Salestio stopped sending to this address. Enter a "
            "new address for notifications."
        ),
        CHANGE_ADDRESS,
    ),
}


# What each placeholder of a message reads, from the banner and its action's URL.
FILLERS: dict[str, Callable[[Banner, str], object]] = {
    "account_name": lambda banner, _: banner.context.get("account_name", ""),
    "marketplace": lambda banner, _: banner.context.get("marketplace", ""),
    "address": lambda banner, _: banner.context.get("address") or banner.subject,
    "expires_on": lambda banner, _: _localized_date(banner.context.get("expires_on")),
    "failing_since": lambda banner, _: _localized_date(banner.context.get("failing_since")),
    "reason": lambda banner, _: explain(banner.context.get("reason", "")).sentence,
    "link": lambda _, url: format_html('<a href="{}">{}</a>', url, gettext("this link")),
}


def presented(banners: Iterable[Banner]) -> list[BannerView]:
    """Each banner as the page shows it, the active language and the actions' pages looked up
    once for all (a dashboard shows ten)."""
    language, pages = get_language(), cache(page_path)
    return [_presented(banner, language, pages) for banner in banners]


def _presented(banner: Banner, language: str, pages: Callable[[str], str]) -> BannerView:
    text = TEXTS[banner.kind]
    action_url = banner.context.get("action_url")
    if not is_app_path(action_url):
        action_url = pages(text.action.url_name)
    heading, message, action_label = translated(banner.kind, language)
    # Only the placeholders this message (in this language) has: a dashboard shows ten.
    values = {name: FILLERS[name](banner, action_url) for name in placeholders(message)}
    return BannerView(
        tone=text.tone,
        heading=heading,
        message=format_html(message, **values),
        action_label=action_label,
        action_url=action_url,
    )


@lru_cache(maxsize=256)
def translated(kind: str, language: str | None) -> tuple[str, str, str]:
    """A kind's heading, message and button label in `language` (the active one), looked up
    once per process: three catalog lookups per banner, ten banners a dashboard. The catalogs
    do not change while a process runs."""
    text = TEXTS[kind]
    return str(text.heading), str(text.message), str(text.action.label)


@lru_cache(maxsize=64)
def placeholders(message: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(message) if name)


def _localized_date(iso: object) -> str:
    return l10n.date_short(str(iso)) if iso else ""

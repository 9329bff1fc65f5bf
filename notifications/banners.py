"""How each banner kind reads on the dashboard: tone, the seed's text, and its action button."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.links import is_app_path
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


def present(banner: Banner) -> BannerView:
    text = TEXTS[banner.kind]
    ctx: dict[str, Any] = banner.context
    action_url = (
        ctx["action_url"] if is_app_path(ctx.get("action_url")) else reverse(text.action.url_name)
    )
    values = {
        "account_name": ctx.get("account_name", ""),
        "marketplace": ctx.get("marketplace", ""),
        "address": ctx.get("address") or banner.subject,
        "expires_on": _localized_date(ctx.get("expires_on")),
        "failing_since": _localized_date(ctx.get("failing_since")),
        "reason": explain(ctx.get("reason", "")).sentence,
        "link": format_html('<a href="{}">{}</a>', action_url, gettext("this link")),
    }
    return BannerView(
        tone=text.tone,
        heading=str(text.heading),
        message=format_html(str(text.message), **values),
        action_label=str(text.action.label),
        action_url=action_url,
    )


def _localized_date(iso: object) -> str:
    return l10n.date_short(str(iso)) if iso else ""

"""How each banner kind reads on the dashboard: tone, the seed's text, and its action button."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.links import is_app_path
from notifications.models import Banner, BannerKind


@dataclass(frozen=True)
class BannerText:
    tone: str
    heading: Promise
    # A format_html() template; the context's values are escaped into it.
    message: Promise
    action: Promise
    default_action: str  # URL name used when the context has no action_url


@dataclass(frozen=True)
class BannerView:
    tone: str
    heading: str
    message: SafeString
    action_label: str
    action_url: str


TEXTS: dict[str, BannerText] = {
    BannerKind.ACCOUNT_EXPIRED: BannerText(
        tone="critical",
        heading=_("Account expired"),
        message=_(
            "Account '{account_name}' has expired. Reconnect your {marketplace} account to "
            "ensure product and order sync."
        ),
        action=_("Confirm connection"),
        default_action="accounts:list",
    ),
    BannerKind.ACCOUNT_EXPIRING: BannerText(
        tone="warning",
        heading=_("Account expires soon"),
        message=_(
            "Account '{account_name}' expires on {expires_on}. Reconnect your {marketplace} "
            "account before then to keep product and order sync running."
        ),
        action=_("Confirm connection"),
        default_action="accounts:list",
    ),
    BannerKind.PLAN_LIMIT_NEAR: BannerText(
        tone="warning",
        heading=_("You have almost reached the subscription limit"),
        message=_(
            "You have almost reached the subscription limit. Once the limit is reached, order "
            "import and product sync will be paused. Please consider changing your subscription "
            "plan under Salestio > Dashboard or via {link}."
        ),
        action=_("Change plan"),
        default_action="billing:plans",
    ),
    BannerKind.PLAN_LIMIT_EXCEEDED: BannerText(
        tone="critical",
        heading=_("Subscription limit exceeded"),
        message=_(
            "Order export was stopped because the subscription limit was exceeded. Change your "
            "plan to resume now; otherwise the app resumes on its own when the new billing "
            "period begins."
        ),
        action=_("Change plan"),
        default_action="billing:plans",
    ),
    BannerKind.EMAIL_BOUNCED: BannerText(
        tone="critical",
        heading=_("Notification emails bounce"),
        message=_(
            "Emails to {address} bounced, so Salestio stopped sending to this address. Enter a "
            "new address for notifications."
        ),
        action=_("Change email address"),
        default_action="notifications:settings",
    ),
}


def present(banner: Banner) -> BannerView:
    text = TEXTS[banner.kind]
    ctx: dict[str, Any] = banner.context
    action_url = (
        ctx["action_url"] if is_app_path(ctx.get("action_url")) else reverse(text.default_action)
    )
    values = {
        "account_name": ctx.get("account_name", ""),
        "marketplace": ctx.get("marketplace", ""),
        "address": ctx.get("address") or banner.subject,
        "expires_on": _localized_date(ctx.get("expires_on")),
        "link": format_html('<a href="{}">{}</a>', action_url, gettext("this link")),
    }
    return BannerView(
        tone=text.tone,
        heading=str(text.heading),
        message=format_html(str(text.message), **values),
        action_label=str(text.action),
        action_url=action_url,
    )


def _localized_date(iso: object) -> str:
    try:
        return date_format(date.fromisoformat(str(iso)), "DATE_FORMAT")
    except ValueError:
        return str(iso or "")

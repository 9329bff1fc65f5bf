"""Plan changes through Shopify's Billing API, and the subscription webhook's effects.

Flow (shopify.dev/docs/apps/launch/billing/subscription-billing/create-time-based-subscriptions):
appSubscriptionCreate → the merchant approves at confirmationUrl (top level, out of the
iframe) → Shopify sends them to returnUrl → we confirm through
currentAppInstallation.activeSubscriptions; app_subscriptions/update reports later changes.
"""

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from billing import usage
from billing.graphql import ACTIVE_SUBSCRIPTIONS, SUBSCRIPTION_CANCEL, SUBSCRIPTION_CREATE
from billing.models import Plan, Subscription
from billing.money import format_money
from salestio.models import Shop
from salestio.services import admin_client
from salestio.shopify_api import ShopifyError

log = logging.getLogger(__name__)
ENDED = {
    Subscription.Status.CANCELLED,
    Subscription.Status.DECLINED,
    Subscription.Status.EXPIRED,
    Subscription.Status.FROZEN,
}


class PlanChangeRefused(Exception):
    """The merchant's choice cannot be made; the message says why, in their language."""


def choose_plan(*, shop: Shop, plan: Plan, return_url: str) -> str | None:
    """Start a change to `plan`: the confirmation URL to send the merchant to, or None when
    it took effect at once (back to the free plan needs no approval)."""
    _refuse_unless_possible(shop, plan)
    if plan.is_free:
        cancel_subscription(shop=shop)
        return None
    variables = {
        "name": plan.name,
        "returnUrl": return_url,
        # Test charges are free and never billed; only a production deployment charges.
        "test": not settings.BILLING_PRODUCTION_CHARGES,
        "lineItems": [
            {
                "plan": {
                    "appRecurringPricingDetails": {
                        "price": {"amount": str(plan.monthly_price), "currencyCode": plan.currency},
                        "interval": "EVERY_30_DAYS",
                    }
                }
            }
        ],
    }
    payload = admin_client(shop).mutate(SUBSCRIPTION_CREATE, variables, "appSubscriptionCreate")
    subscription = _subscription_row(shop)
    subscription.pending_plan = plan
    subscription.pending_shopify_id = payload["appSubscription"]["id"]
    subscription.save(update_fields=["pending_plan", "pending_shopify_id"])
    log.info("plan change to %s awaits approval", plan.code, extra={"shop": shop.domain})
    return str(payload["confirmationUrl"])


def _refuse_unless_possible(shop: Shop, plan: Plan) -> None:
    """A downgrade below this period's usage is refused (not deferred): the merchant chooses
    it again once the new period begins."""
    if not plan.active:
        raise PlanChangeRefused(_("This plan is no longer offered."))
    if plan.pk == usage.current_plan(shop).pk:
        raise PlanChangeRefused(_("You are on this plan already."))
    period = usage.open_period(shop)
    if plan.gmv_limit is not None and period.used >= plan.gmv_limit:
        raise PlanChangeRefused(
            _(
                "%(plan)s allows %(limit)s per billing period, and %(used)s were already used "
                "in this one. Choose it again when the new period begins."
            )
            % {
                "plan": plan.name,
                "limit": format_money(plan.gmv_limit, plan.currency),
                "used": format_money(period.used, period.currency),
            }
        )


def _subscription_row(shop: Shop) -> Subscription:
    """The shop's row; a shop that never subscribed starts on the free plan."""
    free = usage.free_plan()
    return Subscription.objects.get_or_create(shop=shop, defaults={"plan": free})[0]


def cancel_subscription(*, shop: Shop) -> None:
    """Back to the free plan: the paid subscription is cancelled on Shopify first."""
    subscription = _subscription_row(shop)
    if subscription.shopify_id and subscription.status == Subscription.Status.ACTIVE:
        admin_client(shop).mutate(
            SUBSCRIPTION_CANCEL, {"id": subscription.shopify_id}, "appSubscriptionCancel"
        )
    activate(shop=shop, plan=usage.free_plan(), shopify_id="", period_end=None)


def confirm_from_shopify(*, shop: Shop) -> Plan:
    """returnUrl: what Shopify says is active now decides the plan (never the URL's query)."""
    data = admin_client(shop).execute(ACTIVE_SUBSCRIPTIONS)
    active = [
        node
        for node in data["currentAppInstallation"]["activeSubscriptions"]
        if node["status"] == Subscription.Status.ACTIVE
    ]
    pending = Subscription.objects.filter(shop=shop).values_list("pending_shopify_id", flat=True)
    preferred = sorted(active, key=lambda node: node["id"] not in set(pending))
    for node in preferred:
        plan = Plan.objects.filter(name=node["name"]).first()
        if plan is not None:
            activate(
                shop=shop,
                plan=plan,
                shopify_id=node["id"],
                period_end=_when(node["currentPeriodEnd"]),
            )
            return plan
    if not active:
        # Nothing active: the row keeps its ended status, and the free plan's limit applies.
        usage.apply_plan(shop=shop, plan=usage.free_plan())
    return usage.current_plan(shop)


def activate(*, shop: Shop, plan: Plan, shopify_id: str, period_end: datetime | None) -> None:
    """The plan takes effect at once: its limit applies to the open period."""
    with transaction.atomic():
        Subscription.objects.update_or_create(
            shop=shop,
            defaults={
                "plan": plan,
                "shopify_id": shopify_id,
                "status": Subscription.Status.ACTIVE,
                "current_period_end": period_end,
                "pending_plan": None,
                "pending_shopify_id": "",
            },
        )
        usage.apply_plan(shop=shop, plan=plan)
    log.info("plan %s active", plan.code, extra={"shop": shop.domain})


def subscription_updated(*, shop: Shop, payload: dict[str, Any]) -> None:
    """app_subscriptions/update: approved, declined, cancelled, frozen, or changed on
    Shopify's side (shopify.dev/docs/api/webhooks?reference=graphql#list-of-topics)."""
    node = payload.get("app_subscription") or {}
    gid, status, name = (
        node.get("admin_graphql_api_id", ""),
        node.get("status", ""),
        node.get("name", ""),
    )
    subscription = _subscription_row(shop)
    if status == Subscription.Status.ACTIVE:
        plan = Plan.objects.filter(name=name).first()
        if plan is None:
            log.warning(
                "active subscription %r names no plan of ours", name, extra={"shop": shop.domain}
            )
            return
        keep_end = subscription.current_period_end if gid == subscription.shopify_id else None
        activate(shop=shop, plan=plan, shopify_id=gid, period_end=keep_end)
    elif status in ENDED and gid and gid == subscription.shopify_id:
        _end(subscription, Subscription.Status(status))
    elif status in ENDED and gid and gid == subscription.pending_shopify_id:
        Subscription.objects.filter(pk=subscription.pk).update(
            pending_plan=None, pending_shopify_id=""
        )


def _end(subscription: Subscription, status: Subscription.Status) -> None:
    """The paid subscription ended or froze. Shopify's list of active subscriptions decides
    what applies now (a replacement may be active already, whatever order the webhooks
    come in); when Shopify cannot be asked, the free plan's limit applies."""
    shop = subscription.shop
    Subscription.objects.filter(pk=subscription.pk).update(status=status)
    log.info("subscription %s: %s", subscription.shopify_id, status, extra={"shop": shop.domain})
    try:
        confirm_from_shopify(shop=shop)
    except ShopifyError as error:
        log.warning(
            "active subscriptions not confirmed (%s); free plan's limit applies",
            error,
            extra={"shop": shop.domain},
        )
        usage.apply_plan(shop=shop, plan=usage.free_plan())


def _when(value: object) -> datetime | None:
    return parse_datetime(str(value)) if value else None

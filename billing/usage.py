"""GMV usage: the per-period counter, idempotent usage lines, and the limit states.

The counter is one row per shop and period, incremented in SQL (`used = used + x`), so
concurrent workers never lose an update. A state transition is a conditional UPDATE that also
re-checks the usage range in the database: of two workers crossing the line together exactly
one moves the state, and only that one raises the banner and sends the email.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Value
from django.urls import reverse
from django.utils import timezone

from billing import periods, rates
from billing.catalogue import plan_defaults
from billing.models import FREE_PLAN, Plan, Subscription, UsageLine, UsagePeriod, UsageState
from billing.signals import limit_lifted
from notifications.models import BannerKind, Category
from notifications.services import close_incident, notify, raise_banner, resolve_banner
from salestio.db import insert_unless_conflict
from salestio.models import Shop

log = logging.getLogger(__name__)

BANNERS = {
    UsageState.NEAR: BannerKind.PLAN_LIMIT_NEAR,
    UsageState.EXCEEDED: BannerKind.PLAN_LIMIT_EXCEEDED,
}
RANK = {UsageState.OK: 0, UsageState.NEAR: 1, UsageState.EXCEEDED: 2}


def near_fraction() -> Decimal:
    return Decimal(settings.BILLING_NEAR_LIMIT_PERCENT) / 100


def state_for(used: Decimal, limit: Decimal | None) -> UsageState:
    if limit is None or used < limit * near_fraction():
        return UsageState.OK
    return UsageState.NEAR if used < limit else UsageState.EXCEEDED


def _near_line() -> ExpressionWrapper:
    money = DecimalField(max_digits=20, decimal_places=4)
    return ExpressionWrapper(F("gmv_limit") * Value(near_fraction(), money), output_field=money)


def holds(state: str) -> Q:
    """Rows whose usage belongs in `state`: the database's side of state_for()."""
    limited = Q(gmv_limit__isnull=False)
    if state == UsageState.OK:
        return Q(gmv_limit__isnull=True) | Q(used__lt=_near_line())
    if state == UsageState.NEAR:
        return limited & Q(used__gte=_near_line(), used__lt=F("gmv_limit"))
    return limited & Q(used__gte=F("gmv_limit"))


def needs_transition() -> Q:
    """Open rows whose stored state no longer matches their usage (the sweep's filter)."""
    return Q(
        *[Q(state=state) & ~holds(state) for state in UsageState],
        _connector=Q.OR,
    )


# --- The counter row --------------------------------------------------------------------------


def current_plan(shop: Shop) -> Plan:
    subscription = Subscription.objects.select_related("plan").filter(shop=shop).first()
    return plan_of(subscription)


def plan_of(subscription: Subscription | None) -> Plan:
    """The plan a subscription grants: frozen or ended ones fall back to the free plan."""
    if subscription is not None and subscription.status == Subscription.Status.ACTIVE:
        return subscription.plan
    return free_plan()


def free_plan() -> Plan:
    """Always there: recreated from the catalogue if someone deleted it."""
    return Plan.objects.get_or_create(code=FREE_PLAN, defaults=plan_defaults(0))[0]


def open_period(
    shop: Shop, *, now: datetime | None = None, not_before: datetime | None = None
) -> UsagePeriod:
    """The shop's current counter row, created on first use (race-free: one open row per shop
    is a partial unique constraint, and a lost insert reads the winner's row). `not_before`:
    the end of the period it follows, so periods never overlap when a paid plan's billing
    cycle (currentPeriodEnd) takes over from the monthly one."""
    found = UsagePeriod.objects.filter(shop=shop, closed=False).first()
    if found is not None:
        return found
    subscription = Subscription.objects.select_related("plan").filter(shop=shop).first()
    plan = plan_of(subscription)
    starts_at, ends_at = periods.bounds_at(shop, subscription, now or timezone.now())
    period = UsagePeriod(
        shop=shop,
        starts_at=max(starts_at, not_before) if not_before else starts_at,
        ends_at=ends_at,
        gmv_limit=plan.gmv_limit,
        currency=plan.currency,
    )
    if insert_unless_conflict(period):
        return period
    return UsagePeriod.objects.get(shop=shop, closed=False)


def _period_of(shop: Shop, occurred_at: datetime) -> UsagePeriod:
    """The open period, or the closed one an older order or its return belongs to."""
    current = open_period(shop)
    if occurred_at >= current.starts_at:
        return current
    older = UsagePeriod.objects.filter(
        shop=shop, starts_at__lte=occurred_at, ends_at__gt=occurred_at
    ).first()
    return older or current


def record(*, shop: Shop, key: str, amount: Decimal, currency: str, occurred_at: datetime) -> bool:
    """Add an order's amount (negative: a return) once per key; True if it was new."""
    with transaction.atomic():
        period = _period_of(shop, occurred_at)
        converted = rates.convert(
            amount, source=currency.upper(), target=period.currency, on=occurred_at.date()
        )
        line = UsageLine(
            shop=shop,
            period=period,
            key=key,
            amount=converted.amount,
            original_amount=rates.to_cents(amount),
            original_currency=currency.upper(),
            rate=converted.rate,
            occurred_at=occurred_at,
        )
        # The unique (shop, key) is the idempotency claim; a repeat adds nothing.
        if not insert_unless_conflict(line):
            return False
        UsagePeriod.objects.filter(pk=period.pk).update(used=F("used") + converted.amount)
    if not period.closed:
        check(period_id=period.pk)
    return True


# --- States -----------------------------------------------------------------------------------


def check(*, period_id: int) -> UsageState | None:
    """Move the period's state to match its usage; the worker whose conditional UPDATE moves
    it tells the merchant. The row lock orders concurrent checks, so banners are raised and
    resolved in the order the states changed (never a stale 'nearly' over 'exceeded')."""
    with transaction.atomic():
        period = (
            UsagePeriod.objects.select_for_update(of=("self",))
            .select_related("shop")
            .filter(pk=period_id, closed=False)
            .first()
        )
        if period is None:
            return None
        target = state_for(period.used, period.gmv_limit)
        if target == period.state:
            return target
        # The claim: only a row still in the state read, with usage in the target's range.
        moved = (
            UsagePeriod.objects.filter(pk=period_id, state=period.state, closed=False)
            .filter(holds(target))
            .update(state=target)
        )
        if moved:
            _announce(period, UsageState(period.state), target)
    return target if moved else None


def _announce(period: UsagePeriod, old: UsageState, new: UsageState) -> None:
    shop = period.shop
    log.info(
        "GMV usage %s → %s (%s of %s)",
        old,
        new,
        period.used,
        period.gmv_limit,
        extra={"shop": shop.domain},
    )
    for state, kind in BANNERS.items():
        if state != new:
            resolve_banner(shop=shop, kind=kind)
    if new in BANNERS:
        raise_banner(shop=shop, kind=BANNERS[new], context={"action_url": reverse("billing:plans")})
    if RANK[new] > RANK[old]:
        notify(
            shop=shop,
            category=Category.PLAN_LIMIT,
            key=_incident_key(period, new),
            context=_email_context(period, new),
        )
    if old == UsageState.EXCEEDED:
        transaction.on_commit(partial(limit_lifted.send, sender=Shop, shop=shop))


def _incident_key(period: UsagePeriod, state: str) -> str:
    # One email per state, period and limit: an upgrade that is crossed again warns again.
    return f"plan:{period.pk}:{state}:{period.gmv_limit}"


def _email_context(period: UsagePeriod, state: str) -> dict[str, object]:
    return {
        "usage": str(period.used),
        "limit": str(period.gmv_limit),
        "currency": period.currency,
        "exceeded": state == UsageState.EXCEEDED,
        "action_url": reverse("billing:plans"),
    }


def is_paused(shop: Shop) -> bool:
    return UsagePeriod.objects.filter(shop=shop, closed=False, state=UsageState.EXCEEDED).exists()


def apply_plan(*, shop: Shop, plan: Plan) -> UsagePeriod:
    """A plan change takes effect at once: the open period gets the plan's limit and its
    state is recomputed (an upgrade ends a pause; the usage so far stays counted)."""
    with transaction.atomic():
        period = open_period(shop)
        period = UsagePeriod.objects.select_for_update().get(pk=period.pk)
        used = period.used
        if plan.currency != period.currency:
            used = rates.convert(
                used, source=period.currency, target=plan.currency, on=timezone.now().date()
            ).amount
        UsagePeriod.objects.filter(pk=period.pk).update(
            gmv_limit=plan.gmv_limit, currency=plan.currency, used=used
        )
    check(period_id=period.pk)
    return UsagePeriod.objects.get(pk=period.pk)


# --- Rollover ---------------------------------------------------------------------------------


def due_for_rollover(*, now: datetime, limit: int) -> list[int]:
    due = UsagePeriod.objects.filter(closed=False, ends_at__lte=now).order_by("ends_at")
    return list(due.values_list("pk", flat=True)[:limit])


def roll_over(*, period_id: int, now: datetime) -> UsagePeriod | None:
    """Close an ended period and open the next one at OK: banners resolved, a pause lifted."""
    with transaction.atomic():
        # The claim: one worker closes the period, a second finds nothing to do.
        if not UsagePeriod.objects.filter(pk=period_id, closed=False, ends_at__lte=now).update(
            closed=True
        ):
            return None
        ended = UsagePeriod.objects.select_related("shop").get(pk=period_id)
        shop = ended.shop
        following = open_period(shop, now=now, not_before=ended.ends_at)
        for state, kind in BANNERS.items():
            resolve_banner(shop=shop, kind=kind)
            close_incident(shop=shop, category=Category.PLAN_LIMIT, key=_incident_key(ended, state))
        if ended.state == UsageState.EXCEEDED:
            transaction.on_commit(partial(limit_lifted.send, sender=Shop, shop=shop))
    log.info("billing period rolled over to %s", following.starts_at, extra={"shop": shop.domain})
    return following


# --- The sweep --------------------------------------------------------------------------------


def transition_candidates(*, after_id: int, size: int) -> list[int]:
    """Open periods past `after_id` whose state must change; one indexed scan per batch."""
    rows = (
        UsagePeriod.objects.filter(closed=False, pk__gt=after_id)
        .filter(needs_transition())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(rows[:size])


def fan_out_limit_checks(*, enqueue: Callable[[list[int]], object], size: int) -> int:
    """Hand every open period whose state must change to `enqueue`, a batch at a time: one
    query per batch, whatever the number of shops or orders."""
    after, batches = 0, 0
    while ids := transition_candidates(after_id=after, size=size):
        enqueue(ids)
        batches += 1
        after = ids[-1]
        if len(ids) < size:
            break
    return batches

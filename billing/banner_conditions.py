"""The plan banners' conditions, in one place (see notifications.conditions): a plan banner
holds while the shop's current billing period is in the state it announces."""

import functools
from collections.abc import Sequence

from billing.models import UsagePeriod, UsageState
from notifications.conditions import Condition, register_condition
from notifications.models import Banner, BannerKind
from salestio.db import Read
from salestio.models import Shop

PLAN_BANNER_STATES: dict[str, str] = {
    BannerKind.PLAN_LIMIT_NEAR: UsageState.NEAR,
    BannerKind.PLAN_LIMIT_EXCEEDED: UsageState.EXCEEDED,
}


def _holds(banners: Sequence[Banner]) -> set[int]:
    """Banners of one kind whose shop's open period is still in that kind's state."""
    shop_ids = {b.shop_id for b in banners}
    states = dict(
        UsagePeriod.objects.filter(shop_id__in=shop_ids, closed=False).values_list(
            "shop_id", "state"
        )
    )
    return _in_state(states, banners)


def _in_state(states: dict[int, str], banners: Sequence[Banner]) -> set[int]:
    return {b.pk for b in banners if states.get(b.shop_id) == PLAN_BANNER_STATES[b.kind]}


# The shop's open period's state, read ahead with the dashboard's banners (a written-out read:
# docs/architecture.md, "The dashboard's reads"); one_open_usage_period serves it.
STATE_COLUMNS = ("id", "shop_id", "state")
OPEN_STATE_SQL = (
    f"SELECT {', '.join(STATE_COLUMNS)} FROM {UsagePeriod._meta.db_table}"
    " WHERE shop_id = %s AND NOT closed"
)


def state_ahead(shop: Shop, newest: int) -> Read[UsagePeriod, dict[str, Condition]]:
    """The shop's open period's state, and each plan banner kind's condition over it (the
    shop's own banners only, however many)."""

    def conditions(periods: list[UsagePeriod]) -> dict[str, Condition]:
        states = {period.shop_id: period.state for period in periods}
        return {kind: functools.partial(_in_state, states) for kind in PLAN_BANNER_STATES}

    return Read(UsagePeriod, OPEN_STATE_SQL, [shop.pk], conditions, STATE_COLUMNS)


def register() -> None:
    register_condition(*PLAN_BANNER_STATES, condition=_holds, read_ahead=state_ahead)

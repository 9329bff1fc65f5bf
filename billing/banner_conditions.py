"""The plan banners' conditions, in one place (see notifications.conditions): a plan banner
holds while the shop's current billing period is in the state it announces."""

from collections.abc import Sequence

from billing.models import UsagePeriod, UsageState
from notifications.conditions import register_condition
from notifications.models import Banner, BannerKind

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
    return {b.pk for b in banners if states.get(b.shop_id) == PLAN_BANNER_STATES[b.kind]}


def register() -> None:
    register_condition(*PLAN_BANNER_STATES, condition=_holds)

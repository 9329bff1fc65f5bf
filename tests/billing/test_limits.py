"""The GMV counter and its states through the seam orders and listings call
(billing.limits): thresholds, banners and emails exactly once, pause, currencies, returns."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import limits
from billing.models import ExchangeRate, Plan, UsageLine, UsageState
from billing.rates import RateUnavailable
from notifications.models import Banner, BannerKind, Category, Email, Notification
from notifications.tasks import send_email
from salestio.models import Shop
from tests.billing.conftest import usage_of

AddOrder = Callable[..., None]


def active_banners(shop: Shop) -> list[str]:
    return sorted(Banner.objects.filter(shop=shop, resolved_at=None).values_list("kind", flat=True))


def plan_notifications(shop: Shop) -> list[dict[str, Any]]:
    rows = Notification.objects.filter(shop=shop, category=Category.PLAN_LIMIT).order_by("pk")
    return [n.context for n in rows]


@pytest.mark.parametrize(
    ("used", "state", "banners"),
    [
        ("3999.50", UsageState.OK, []),  # 79.99 %
        ("4000.00", UsageState.NEAR, [BannerKind.PLAN_LIMIT_NEAR]),  # 80 %
        ("4999.99", UsageState.NEAR, [BannerKind.PLAN_LIMIT_NEAR]),
        ("5000.00", UsageState.EXCEEDED, [BannerKind.PLAN_LIMIT_EXCEEDED]),  # 100 %
    ],
)
def test_the_state_follows_the_thresholds(
    shop: Shop, starter: Plan, add_order: AddOrder, used: str, state: str, banners: list[str]
) -> None:
    add_order(used)
    assert usage_of(shop).state == state
    assert active_banners(shop) == banners
    assert limits.exports_paused(shop) is (state == UsageState.EXCEEDED)


def test_the_near_threshold_is_configurable(
    shop: Shop, starter: Plan, add_order: AddOrder, settings: Any
) -> None:
    settings.BILLING_NEAR_LIMIT_PERCENT = 90
    add_order("4400")  # 88 %
    assert usage_of(shop).state == UsageState.OK
    add_order("100")  # 90 %
    assert usage_of(shop).state == UsageState.NEAR


def test_each_crossing_sends_one_email_with_the_figures(
    shop: Shop, starter: Plan, add_order: AddOrder, emails_on: Any
) -> None:
    for _ in range(5):
        add_order("900")  # 900 … 4,500: near once
    add_order("400")  # 4,900: still near, no second email
    add_order("100")  # 5,000: exceeded
    add_order("50")
    contexts = plan_notifications(shop)
    assert [(c["usage"], c["limit"], c["exceeded"]) for c in contexts] == [
        ("4500.00", "5000.00", False),
        ("5000.00", "5000.00", True),
    ]
    # The near email went at once; the exceeded one waits for the digest window's end.
    (queued,) = Email.objects.filter(shop=shop, category=Category.PLAN_LIMIT)
    send_email(queued.pk)  # rendered when sent
    email = Email.objects.get(pk=queued.pk)
    assert email.subject == "You have almost reached the subscription limit"
    assert "€4,500.00 of €5,000.00" in email.text  # salestio.l10n's money format


def test_straight_past_the_limit_tells_only_that_it_was_exceeded(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    add_order("6000")
    assert [c["exceeded"] for c in plan_notifications(shop)] == [True]
    assert active_banners(shop) == [BannerKind.PLAN_LIMIT_EXCEEDED]


def test_recording_the_same_order_twice_counts_it_once(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    add_order("120.50", key="order:7")
    add_order("120.50", key="order:7")
    assert usage_of(shop).used == Decimal("120.50")
    assert UsageLine.objects.filter(shop=shop).count() == 1


def test_a_return_reduces_the_usage_and_can_end_the_pause(
    shop: Shop,
    starter: Plan,
    add_order: AddOrder,
    lifted: list[Shop],
    django_capture_on_commit_callbacks: Any,
) -> None:
    add_order("5100", key="order:1")
    assert limits.exports_paused(shop)
    with django_capture_on_commit_callbacks(execute=True):
        add_order("-300", key="order:1:cancelled")
    period = usage_of(shop)
    assert (period.used, period.state) == (Decimal("4800.00"), UsageState.NEAR)
    assert not limits.exports_paused(shop)
    assert active_banners(shop) == [BannerKind.PLAN_LIMIT_NEAR]
    assert lifted == [shop]


def test_an_order_in_usd_on_a_eur_plan_adds_the_converted_amount_with_the_rate_kept(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    ExchangeRate.objects.create(base="EUR", quote="USD", rate=Decimal("1.25"), as_of=date.today())
    add_order("125.00", "USD", key="order:us-1")
    line = UsageLine.objects.get(shop=shop, key="order:us-1")
    assert (line.amount, line.original_amount, line.original_currency) == (
        Decimal("100.00"),
        Decimal("125.00"),
        "USD",
    )
    assert line.rate == Decimal("0.8")
    assert usage_of(shop).used == Decimal("100.00")


def test_the_rate_of_the_orders_day_is_used_not_a_later_one(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    from django.utils import timezone

    today = timezone.now()
    ExchangeRate.objects.create(
        base="EUR", quote="GBP", rate=Decimal("0.5"), as_of=(today.date().replace(day=1))
    )
    ExchangeRate.objects.create(
        base="EUR", quote="GBP", rate=Decimal("0.8"), as_of=date(2999, 1, 1)
    )
    add_order("50", "GBP", key="order:gb", at=today)
    assert UsageLine.objects.get(key="order:gb").amount == Decimal("100.00")


def test_an_order_in_a_currency_without_a_stored_rate_is_refused_and_not_counted(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    with pytest.raises(RateUnavailable, match="JPY"):
        add_order("1000", "JPY", key="order:jp")
    assert not UsageLine.objects.filter(shop=shop).exists()
    add_order("10", key="order:eu")
    assert usage_of(shop).used == Decimal("10.00")


def test_a_plan_without_a_limit_never_pauses(shop: Shop, add_order: AddOrder) -> None:
    from tests.billing.conftest import on_plan

    on_plan(shop, "unlimited")
    add_order("1000000")
    assert usage_of(shop).state == UsageState.OK
    assert not limits.exports_paused(shop)


def test_a_new_shop_is_on_the_free_plan_with_its_limit(shop: Shop, add_order: AddOrder) -> None:
    add_order("999.99")
    assert usage_of(shop).gmv_limit == Decimal("1000.00")
    assert not limits.exports_paused(shop)
    add_order("0.01")
    assert limits.exports_paused(shop)


def test_connection_checks_keep_running_for_a_shop_over_its_limit(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    from django.utils import timezone

    from accounts.models import Account
    from accounts.sweep import fan_out_due_accounts
    from tests.factories import make

    add_order("6000")
    assert limits.exports_paused(shop)
    account = make("accounts.Account", shop)
    Account.objects.filter(pk=account.pk).update(next_check_at=timezone.now())
    batches: list[list[int]] = []
    fan_out_due_accounts(now=timezone.now(), enqueue=batches.append)
    assert batches == [[account.pk]]


def test_a_plan_banner_whose_period_left_its_state_is_resolved_by_the_sweep(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    from billing import tasks
    from notifications.services import raise_banner

    add_order("4200.00")
    # A banner left behind by a missed resolve: the period is nearly reached, not exceeded.
    raise_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_EXCEEDED)
    assert active_banners(shop) == [BannerKind.PLAN_LIMIT_EXCEEDED, BannerKind.PLAN_LIMIT_NEAR]
    tasks.sweep_usage_limits()
    assert active_banners(shop) == [BannerKind.PLAN_LIMIT_NEAR]


def test_the_dashboard_shows_a_plan_banner_only_while_its_period_is_in_its_state(
    shop: Shop, starter: Plan, add_order: AddOrder, shop_client: Any
) -> None:
    """Checked with the dashboard's other reads: with its shop, one combined statement."""
    from notifications.services import raise_banner

    add_order("4200.00")  # near the limit: its banner is raised
    raise_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_EXCEEDED)  # left behind, not so
    client = shop_client(shop)
    client.get("/")  # warm-up: the combined read is prepared on a connection's first run

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()

    assert "You have almost reached the subscription limit" in page
    assert "Subscription limit exceeded" not in page
    assert len(captured) == 1

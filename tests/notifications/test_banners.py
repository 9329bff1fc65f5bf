"""Banners: one active per (shop, kind, subject), shown on the dashboard while the condition
holds, with the seed's texts in English and German and their action buttons."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone, translation

from accounts.models import Account
from billing.banner_conditions import PLAN_BANNER_STATES
from billing.models import UsagePeriod
from notifications import selectors, services
from notifications.banners import FILLERS, TEXTS, placeholders, presented
from notifications.links import page_path
from notifications.models import Banner, BannerKind
from salestio.models import Shop
from tests.notifications.mime import html_text

EXPIRED = {
    "account_name": "My Amazon account",
    "marketplace": "Amazon",
    "action_url": "/accounts/7/edit/",
}
FAILING = {**EXPIRED, "failing_since": "2026-05-02", "reason": "GetUser: 503 Service Unavailable"}
ACCOUNT_STATES = {
    BannerKind.ACCOUNT_EXPIRED: (Account.Status.EXPIRED, None),
    BannerKind.ACCOUNT_EXPIRING: (Account.Status.ACTIVE, None),
    BannerKind.ACCOUNT_FAILING: (Account.Status.ACTIVE, datetime(2026, 5, 2, tzinfo=UTC)),
}


def account_subject(shop: Any, kind: BannerKind) -> str:
    """A real account (or billing period) in the state the kind's condition asks for
    (notifications.conditions): the dashboard shows a banner only while that state holds."""
    if kind in PLAN_BANNER_STATES:
        now = timezone.now()
        UsagePeriod.objects.create(
            shop=shop,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=29),
            currency="EUR",
            state=PLAN_BANNER_STATES[kind],
        )
    if kind not in ACCOUNT_STATES:
        return ""
    status, failing_since = ACCOUNT_STATES[kind]
    expired = status == Account.Status.EXPIRED
    account = Account.objects.create(
        shop=shop,
        marketplace="amazon",
        name="My Amazon account",
        status=status,
        refresh_token="" if expired else "refresh",
        sync_paused_at=timezone.now() if expired else None,
        paused_reason=Account.PauseReason.EXPIRED if expired else "",
        failing_since=failing_since,
    )
    return account.subject


def dashboard_banners(client: Any) -> list[tuple[str, str, list[str]]]:
    """(tone, text, links) of each banner on the dashboard."""
    page = client.get(reverse("dashboard")).content.decode()
    found = re.findall(
        r'<s-banner tone="(\w+)"[^>]*data-banner-tone[^>]*>(.*?)</s-banner>', page, flags=re.DOTALL
    )
    return [(tone, *html_text(inner)) for tone, inner in found]


def test_raising_twice_keeps_one_banner_with_the_latest_context(shop: Shop) -> None:
    first = services.raise_banner(
        shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, subject="account:7", context=EXPIRED
    )
    again = services.raise_banner(
        shop=shop,
        kind=BannerKind.ACCOUNT_EXPIRED,
        subject="account:7",
        context={**EXPIRED, "account_name": "Renamed"},
    )
    assert first.pk == again.pk and Banner.objects.count() == 1
    assert Banner.objects.get().context["account_name"] == "Renamed"


def test_resolving_removes_it_from_the_dashboard_and_keeps_it_in_history(
    shop: Shop, shop_client: Any
) -> None:
    subject = account_subject(shop, BannerKind.ACCOUNT_EXPIRED)
    services.raise_banner(
        shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, subject=subject, context=EXPIRED
    )
    client = shop_client(shop)
    assert len(dashboard_banners(client)) == 1
    assert services.resolve_banner(shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, subject=subject)
    assert dashboard_banners(client) == []
    assert Banner.objects.get().resolved_at is not None


def test_a_condition_returning_raises_a_new_banner(shop: Shop) -> None:
    for _ in range(2):
        services.raise_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_NEAR)
        services.resolve_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_NEAR)
    services.raise_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_NEAR)
    assert Banner.objects.count() == 3 and selectors.active_banners(shop=shop).count() == 1


def test_resolving_what_is_not_raised_is_harmless(shop: Shop) -> None:
    assert services.resolve_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_EXCEEDED) is False


def test_one_shops_banner_is_not_on_another_shops_dashboard(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    shop_a, shop_b = make_shop("shop-a.myshopify.com"), make_shop("shop-b.myshopify.com")
    services.raise_banner(shop=shop_a, kind=BannerKind.PLAN_LIMIT_EXCEEDED)
    assert dashboard_banners(shop_client(shop_b)) == []


DASHBOARD = {
    "en": [
        (
            BannerKind.ACCOUNT_EXPIRED,
            EXPIRED,
            "critical",
            "Account 'My Amazon account' has expired. Reconnect your Amazon account to ensure "
            "product and order sync.",
            "Confirm connection",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.ACCOUNT_EXPIRING,
            {**EXPIRED, "expires_on": "2026-12-24"},
            "warning",
            "Account 'My Amazon account' expires on Dec 24, 2026.",
            "Confirm connection",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.ACCOUNT_FAILING,
            FAILING,
            "warning",
            "Account 'My Amazon account' cannot be reached since May 2, 2026. The marketplace "
            "could not be reached. Salestio keeps trying by itself. Confirm the connection of "
            "your Amazon account to ensure product and order sync.",
            "Confirm connection",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.PLAN_LIMIT_NEAR,
            {"action_url": "/billing/"},
            "warning",
            "You have almost reached the subscription limit. Once the limit is reached, order "
            "import and product sync will be paused. Please consider changing your subscription "
            "plan under Salestio > Dashboard or via this link.",
            "Change plan",
            "/billing/",
        ),
        (
            BannerKind.PLAN_LIMIT_EXCEEDED,
            {"action_url": "/billing/"},
            "critical",
            "Order export was stopped because the subscription limit was exceeded.",
            "Change plan",
            "/billing/",
        ),
    ],
    "de": [
        (
            BannerKind.ACCOUNT_EXPIRED,
            EXPIRED,
            "critical",
            "Konto 'My Amazon account' ist abgelaufen. Verbinden Sie Ihr Amazon-Konto erneut, um "
            "die Produkt- und Auftragssynchronisierung sicherzustellen.",
            "Verbindung bestätigen",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.ACCOUNT_EXPIRING,
            {**EXPIRED, "expires_on": "2026-12-24"},
            "warning",
            "Konto 'My Amazon account' läuft am 24.12.2026 ab.",
            "Verbindung bestätigen",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.ACCOUNT_FAILING,
            FAILING,
            "warning",
            "Konto 'My Amazon account' ist seit dem 02.05.2026 nicht erreichbar. Der Marktplatz "
            "war nicht erreichbar. Salestio versucht es weiter von selbst. Bestätigen Sie die "
            "Verbindung Ihres Amazon-Kontos, um die Produkt- und Auftragssynchronisierung "
            "sicherzustellen.",
            "Verbindung bestätigen",
            "/accounts/7/edit/",
        ),
        (
            BannerKind.PLAN_LIMIT_NEAR,
            {"action_url": "/billing/"},
            "warning",
            "Sie haben fast das Abonnementlimit erreicht. Sobald das Limit erreicht ist, werden "
            "der Bestellimport und die Produktsynchronisierung unterbrochen. Bitte erwägen Sie, "
            "Ihren Abonnementplan unter Salestio > Dashboard oder über diesen Link zu ändern.",
            "Plan ändern",
            "/billing/",
        ),
        (
            BannerKind.PLAN_LIMIT_EXCEEDED,
            {"action_url": "/billing/"},
            "critical",
            "Der Bestellungs-Export wurde aufgrund überschrittener Abonnementlimits gestoppt.",
            "Plan ändern",
            "/billing/",
        ),
    ],
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("case", range(len(DASHBOARD["en"])))
def test_the_dashboard_shows_each_banner_in_the_seeds_words(
    make_shop: Callable[..., Shop], shop_client: Any, language: str, case: int
) -> None:
    kind, context, tone, sentence, button, target = DASHBOARD[language][case]
    shop = make_shop(locale=language)
    services.raise_banner(
        shop=shop, kind=kind, subject=account_subject(shop, kind), context=context
    )
    [(shown_tone, text, links)] = dashboard_banners(shop_client(shop))
    assert shown_tone == tone
    assert sentence in text and button in text
    assert links[-1] == target


def test_the_account_name_is_text_not_markup(shop: Shop, shop_client: Any) -> None:
    services.raise_banner(
        shop=shop,
        kind=BannerKind.ACCOUNT_EXPIRED,
        subject=account_subject(shop, BannerKind.ACCOUNT_EXPIRED),
        context={**EXPIRED, "account_name": "<img src=x onerror=alert(1)>"},
    )
    page = shop_client(shop).get(reverse("dashboard")).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_action_url_that_leaves_the_app_is_replaced_by_the_default(
    shop: Shop, shop_client: Any
) -> None:
    services.raise_banner(
        shop=shop,
        kind=BannerKind.PLAN_LIMIT_EXCEEDED,
        subject=account_subject(shop, BannerKind.PLAN_LIMIT_EXCEEDED),
        context={"action_url": "javascript:alert(1)"},
    )
    [(_, _, links)] = dashboard_banners(shop_client(shop))
    assert links == [reverse("billing:plans")]


def test_every_banner_kind_has_its_text() -> None:
    assert set(TEXTS) == set(BannerKind.values)


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_placeholder_of_every_banner_text_has_its_filler(language: str) -> None:
    with translation.override(language):
        used = {name for text in TEXTS.values() for name in placeholders(str(text.message))}
    assert used and used <= set(FILLERS)


def test_a_page_path_follows_the_script_prefix() -> None:
    before = get_script_prefix()
    try:
        set_script_prefix("/salestio/")
        assert page_path("billing:plans") == reverse("billing:plans") == "/salestio/billing/"
    finally:
        set_script_prefix(before)
    assert page_path("billing:plans") == "/billing/"


def test_a_banner_reads_in_the_language_active_as_it_is_presented(shop: Shop) -> None:
    """The texts are looked up once per language and process, and still follow the language
    of each page (the shop's) or email."""
    banner = services.raise_banner(shop=shop, kind=BannerKind.PLAN_LIMIT_EXCEEDED)
    headings: dict[str, set[str]] = {}
    for language in ["en", "de", "en", "de"]:
        with translation.override(language):
            headings.setdefault(language, set()).add(presented([banner])[0].heading)
    assert headings["en"] != headings["de"]
    assert all(len(seen) == 1 for seen in headings.values())

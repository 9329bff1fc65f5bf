"""`make demo`'s part of the notifications: one email per category it owns, no banner (banners
come only from real state: demo.accounts, demo.billing)."""

from typing import Any

from django.core import mail

from demo import notifications as demo
from notifications import selectors, services
from notifications.models import SETTINGS_CATEGORIES, BannerKind, Category, Email
from salestio.models import Shop


def test_demo_seed_raises_no_banner_and_sends_one_email_per_category(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(shop)
        demo.seed(shop)  # seed_demo may run again: nothing doubles
    kinds = set(selectors.active_banners(shop=shop).values_list("kind", flat=True))
    # Banners come from real state only: accounts (demo/accounts.py), usage (demo/billing.py).
    assert kinds == set()
    categories = sorted(set(SETTINGS_CATEGORIES) - {Category.PLAN_LIMIT})
    sent = Email.objects.filter(status=Email.Status.SENT)
    assert sorted(sent.values_list("category", flat=True)) == categories
    assert len(mail.outbox) == len(categories)


def test_demo_seed_adds_only_what_other_apps_seeds_did_not_show(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    real = {"account_name": "My Amazon account", "marketplace": "Amazon", "action_url": "/a/1/"}
    services.raise_banner(
        shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, subject="account:1", context=real
    )
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(shop)
    expired = selectors.active_banners(shop=shop).filter(kind=BannerKind.ACCOUNT_EXPIRED)
    assert list(expired.values_list("subject", flat=True)) == ["account:1"]
    assert selectors.active_banners(shop=shop).count() == 1

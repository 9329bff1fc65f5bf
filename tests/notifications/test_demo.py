"""`make demo`'s part of the notifications: one banner of each kind and one email per category."""

from typing import Any

from django.core import mail

from demo import notifications as demo
from notifications import selectors, services
from notifications.models import SETTINGS_CATEGORIES, BannerKind, Category, Email
from salestio.models import Shop


def test_demo_seed_shows_every_banner_and_one_sent_email_per_category(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(shop)
        demo.seed(shop)  # seed_demo may run again: nothing doubles
    kinds = set(selectors.active_banners(shop=shop).values_list("kind", flat=True))
    # The plan banner and email come from real usage (demo/billing.py), not from here.
    assert kinds == {"account_expired", "account_expiring"}
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
    assert selectors.active_banners(shop=shop).count() == 2

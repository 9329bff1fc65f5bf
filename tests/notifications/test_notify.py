"""notify(): the row comes first, a key is one incident while it is open, and a notification
that is not emailed says why."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from notifications import selectors, services
from notifications.models import Category, Email, Notification, NotificationSettings
from salestio.models import Shop
from tests.concurrency import run_at_once
from tests.network import closed_port
from tests.notifications.conftest import notify_listing

LISTING = Category.LISTING_UPDATE_FAILED


def test_a_retried_failure_is_recorded_and_emailed_once(
    shop: Shop, enable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_listing(shop)
        again = notify_listing(shop)
    assert first.pk == again.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_same_key_after_the_incident_was_closed_is_a_new_incident(
    shop: Shop, enable: Any
) -> None:
    enable(shop)
    first = notify_listing(shop)
    services.close_incident(shop=shop, category=LISTING, key="listing:MUG-BLUE-M")
    second = notify_listing(shop)
    assert second.pk != first.pk
    assert Notification.objects.filter(closed_at__isnull=True).get() == second


def test_the_same_key_in_another_shop_is_another_incident(
    make_shop: Callable[..., Shop], enable: Any
) -> None:
    shop_a, shop_b = make_shop("shop-a.myshopify.com"), make_shop("shop-b.myshopify.com")
    assert notify_listing(shop_a).pk != notify_listing(shop_b).pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_notifies_of_one_key_make_one_row_and_one_email(
    shop: Shop, enable: Any
) -> None:
    enable(shop)
    results, errors = run_at_once(lambda: notify_listing(shop).pk, threads=10)

    assert errors == []
    assert len(set(results)) == 1 and len(results) == 10
    assert Notification.objects.count() == 1
    assert Email.objects.count() == 1 and len(mail.outbox) == 1


def test_a_category_that_is_off_is_recorded_as_suppressed(shop: Shop, enable: Any) -> None:
    enable(shop, Category.ORDER_IMPORT_FAILED)
    notification = notify_listing(shop)
    assert notification.status == Notification.Status.SUPPRESSED
    assert notification.suppressed_reason == Notification.Suppression.CATEGORY_OFF
    assert Email.objects.count() == 0


def test_all_categories_start_off(shop: Shop) -> None:
    notification = notify_listing(shop)
    assert notification.suppressed_reason == Notification.Suppression.CATEGORY_OFF


def test_no_address_is_recorded_as_suppressed(make_shop: Callable[..., Shop], enable: Any) -> None:
    shop = make_shop(owner_email="")
    enable(shop)
    notification = notify_listing(shop)
    assert notification.suppressed_reason == Notification.Suppression.NO_ADDRESS


def test_an_uninstalled_shop_gets_no_email(shop: Shop, enable: Any) -> None:
    enable(shop)
    shop.uninstalled_at = shop.installed_at
    shop.save()
    assert notify_listing(shop).suppressed_reason == Notification.Suppression.UNINSTALLED


def test_an_emailed_notification_points_at_its_email(shop: Shop, enable: Any) -> None:
    enable(shop)
    notification = notify_listing(shop)
    assert notification.status == Notification.Status.QUEUED
    assert notification.email is not None
    assert notification.email.recipient == "owner@shop-a.myshopify.com"


def test_the_row_survives_when_the_email_cannot_be_sent(
    shop: Shop, enable: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    # Nothing listens on the port: the SMTP connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify_listing(shop)
    email = Email.objects.get()
    assert Notification.objects.get() == notification
    assert email.status == Email.Status.FAILED and email.attempts == 2
    assert "refused" in email.last_error.lower()


def test_routing_reads_the_settings_as_the_orm_does(shop: Shop, enable: Any) -> None:
    """routing_many() reads the settings with a plain cursor: the values are converted as a
    model read converts them (SQLite answers 0/1 and text), so the routed settings are the
    saved ones, field for field and type for type."""
    saved = enable(shop, LISTING)
    routed = selectors.routing(shop=shop, category=LISTING, now=timezone.now()).prefs
    fields = [field.attname for field in NotificationSettings._meta.concrete_fields]
    stored = NotificationSettings.objects.get(pk=saved.pk)
    assert [(getattr(routed, f), type(getattr(routed, f))) for f in fields] == [
        (getattr(stored, f), type(getattr(stored, f))) for f in fields
    ]
    assert routed.shop is shop

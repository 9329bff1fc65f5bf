"""An email already queued is checked again right before it is sent: the shop may have
uninstalled the app, switched the category off or seen the address bounce since. Such an email
is not sent; it ends "Not sent", and the history says why."""

from typing import Any

from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Category, DigestWindow, Email, Notification
from notifications.tasks import flush_digests, requeue_stalled_emails, send_email
from salestio.models import Shop
from tests.notifications.conftest import CONTEXTS, Inbox
from tests.shopify_webhooks import deliver

ORDER = Category.ORDER_IMPORT_FAILED
LISTING = Category.LISTING_UPDATE_FAILED


def queued(shop: Shop, category: Category = ORDER) -> Email:
    """Composed and enqueued; its task has not run yet (on_commit callbacks are not run)."""
    notification = services.notify(
        shop=shop, category=category, key=f"{category}:1", context=CONTEXTS[category]
    )
    assert notification.email is not None
    return notification.email


def uninstall(client: Any, capture: Any) -> None:
    """Shopify's app/uninstalled webhook, signed, with its task run as the worker would."""
    with capture(execute=True):
        assert deliver(client, "app/uninstalled").status_code == 200


def cancelled_because(email: Email) -> set[str]:
    email.refresh_from_db()
    assert email.status == Email.Status.CANCELLED
    return set(email.notifications.values_list("suppressed_reason", flat=True))


def test_an_email_queued_before_the_uninstall_is_not_sent(
    shop: Shop, enable: Any, smtp: Inbox, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    email = queued(shop)
    uninstall(client, django_capture_on_commit_callbacks)
    send_email(email.pk)  # the task was still in the broker
    assert smtp.received == []
    assert cancelled_because(email) == {Notification.Suppression.UNINSTALLED}


def test_the_uninstall_cancels_waiting_emails_and_held_items_at_once(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    client: Any,
    time_machine: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    enable(shop)
    waiting = queued(shop)
    Email.objects.filter(pk=waiting.pk).update(status=Email.Status.RETRYING)
    held = services.notify(shop=shop, category=ORDER, key="order:2", context=CONTEXTS[ORDER])
    assert held.status == Notification.Status.PENDING
    uninstall(client, django_capture_on_commit_callbacks)

    assert cancelled_because(waiting) == {Notification.Suppression.UNINSTALLED}
    held.refresh_from_db()
    assert held.status == Notification.Status.SUPPRESSED
    assert held.suppressed_reason == Notification.Suppression.UNINSTALLED
    assert not DigestWindow.objects.filter(digest_due_at__isnull=False).exists()
    time_machine.move_to(waiting.created_at + settings.NOTIFICATION_DIGEST_WINDOW * 2)
    assert flush_digests() == 0 and requeue_stalled_emails() == 0
    assert smtp.received == []


def test_an_email_of_a_category_switched_off_meanwhile_is_not_sent(
    shop: Shop, enable: Any, smtp: Inbox, shop_client: Any
) -> None:
    enable(shop)
    email = queued(shop)
    enable(shop, LISTING)  # the merchant saved the settings with order emails off
    send_email(email.pk)
    assert smtp.received == []
    assert cancelled_because(email) == {Notification.Suppression.CATEGORY_OFF}
    page = shop_client(shop).get(reverse("notifications:history")).content.decode()
    assert "Not sent (Category is switched off)" in page
    detail = reverse("notifications:detail", args=[email.notifications.get().pk])
    assert "Not sent (Category is switched off)" in shop_client(shop).get(detail).content.decode()


def test_an_email_to_an_address_that_bounced_meanwhile_is_not_sent(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    with django_capture_on_commit_callbacks(execute=True):
        earlier = queued(shop, LISTING)
    Email.objects.filter(pk=earlier.pk).update(esp_message_id="esp-1")
    email = queued(shop)
    services.record_delivery_event(esp_message_id="esp-1", event_type="bounced")
    send_email(email.pk)
    assert len(smtp.received) == 1  # the earlier one only
    assert cancelled_because(email) == {Notification.Suppression.ADDRESS_BOUNCED}


def test_the_test_email_of_an_uninstalled_shop_is_not_sent(
    shop: Shop, enable: Any, smtp: Inbox
) -> None:
    """Marked uninstalled without the signal's receivers having run (yet)."""
    enable(shop)
    pressed = services.send_test_email(shop=shop)
    assert pressed.email is not None
    Shop.objects.filter(pk=shop.pk).update(uninstalled_at=timezone.now())
    send_email(pressed.email.pk)
    assert smtp.received == []
    assert cancelled_because(pressed.email) == {Notification.Suppression.UNINSTALLED}

"""Anymail tracking webhooks (here Postmark's, signed with the WEBHOOK_SECRET basic auth) update
each email's delivery status; a hard bounce stops mail to the address and raises a banner."""

import base64
import json
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

from notifications import selectors, services
from notifications.models import BannerKind, Category, Email, Notification
from salestio.models import Shop
from tests.notifications.conftest import CONTEXTS

ORDER = Category.ORDER_IMPORT_FAILED
ESP_ID = "883953f4-6105-42a2-a16a-77a8eac79483"
URL = "/anymail/postmark/tracking/"


def sent_email(shop: Shop) -> Email:
    services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    Email.objects.update(status=Email.Status.SENT, esp_message_id=ESP_ID)
    return Email.objects.get()


def post_event(client: Client, payload: dict[str, Any], secret: str = "") -> Any:
    token = base64.b64encode((secret or settings.ANYMAIL["WEBHOOK_SECRET"]).encode()).decode()
    return client.post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )


# Postmark's webhook bodies (postmarkapp.com/developer/webhooks), trimmed to what anymail reads.
def delivery() -> dict[str, Any]:
    return {
        "RecordType": "Delivery",
        "MessageID": ESP_ID,
        "Recipient": "owner@shop-a.myshopify.com",
        "DeliveredAt": "2026-11-28T10:00:05Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": {},
    }


def bounce(kind: str = "HardBounce") -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "MessageID": ESP_ID,
        "Email": "owner@shop-a.myshopify.com",
        "BouncedAt": "2026-11-28T10:00:05Z",
        "Description": "The server was unable to deliver "
        "your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1",
        "Metadata": {},
    }


def complaint() -> dict[str, Any]:
    return {**bounce("SpamComplaint"), "RecordType": "SpamComplaint"}


def test_delivered_is_recorded(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop)
    email = sent_email(shop)
    assert post_event(client, delivery()).status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == Email.Delivery.DELIVERED


def test_a_wrong_webhook_secret_is_refused(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop)
    email = sent_email(shop)
    assert post_event(client, delivery(), secret="demo:wrong").status_code in (400, 401, 403)
    email.refresh_from_db()
    assert email.delivery_status == Email.Delivery.UNKNOWN


def test_a_hard_bounce_stops_mail_to_the_address_and_asks_for_a_new_one(
    shop: Shop, enable: Any, client: Client, shop_client: Any
) -> None:
    enable(shop)
    email = sent_email(shop)
    post_event(client, bounce())
    email.refresh_from_db()
    assert email.delivery_status == Email.Delivery.BOUNCED
    banner = selectors.active_banners(shop=shop).get()
    assert banner.kind == BannerKind.EMAIL_BOUNCED
    dashboard = shop_client(shop).get(reverse("dashboard")).content.decode()
    assert "Emails to owner@shop-a.myshopify.com bounced" in dashboard

    later = services.notify(shop=shop, category=ORDER, key="order:2", context=CONTEXTS[ORDER])
    assert later.suppressed_reason == Notification.Suppression.ADDRESS_BOUNCED


def test_saving_a_new_address_clears_the_bounce_banner(
    shop: Shop, enable: Any, client: Client
) -> None:
    enable(shop)
    sent_email(shop)
    post_event(client, bounce())
    enable(shop, use_shop_email=False, email="ops@example.com")
    assert not selectors.active_banners(shop=shop).exists()
    later = services.notify(shop=shop, category=ORDER, key="order:2")
    assert later.status == Notification.Status.PENDING  # held for the digest, not suppressed


def test_a_soft_bounce_does_not_retire_the_address(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop)
    email = sent_email(shop)
    post_event(client, bounce("SoftBounce"))
    email.refresh_from_db()
    assert email.delivery_status == Email.Delivery.DEFERRED
    assert not selectors.active_banners(shop=shop).exists()


def test_a_late_delivered_report_does_not_hide_a_bounce(
    shop: Shop, enable: Any, client: Client
) -> None:
    enable(shop)
    email = sent_email(shop)
    post_event(client, bounce())
    post_event(client, delivery())
    email.refresh_from_db()
    assert email.delivery_status == Email.Delivery.BOUNCED


def test_a_spam_complaint_turns_that_category_off(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop)
    sent_email(shop)
    post_event(client, complaint())
    prefs = selectors.notification_settings(shop=shop)
    assert not prefs.is_enabled(ORDER) and prefs.is_enabled(Category.LISTING_UPDATE_FAILED)


def test_an_event_for_an_unknown_message_is_accepted_and_ignored(
    shop: Shop, client: Client
) -> None:
    assert post_event(client, {**delivery(), "MessageID": "not-ours"}).status_code == 200

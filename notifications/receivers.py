"""Anymail's tracking signal (fired by /anymail/<esp>/tracking/) → the email's delivery status;
the shop's uninstall → nothing more is sent to it."""

from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.dispatch import receiver

from notifications import routing, services
from notifications.models import Notification
from salestio.models import Shop
from salestio.signals import shop_uninstalled


@receiver(tracking, dispatch_uid="notifications.delivery_status")
def record_tracking_event(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    services.record_delivery_event(
        esp_message_id=event.message_id or "",
        event_type=_event_type(event),
        detail=event.description or event.mta_response or "",
    )


def _event_type(event: AnymailTrackingEvent) -> str:
    # Anymail maps Postmark's SoftBounce to "bounced" as well ("might also receive HardBounce
    # later", anymail/webhooks/postmark.py); a full mailbox must not retire the address.
    if isinstance(event.esp_event, dict) and event.esp_event.get("Type") == "SoftBounce":
        return str(EventType.DEFERRED)
    return str(event.event_type)


@receiver(shop_uninstalled, dispatch_uid="notifications.stop_emails")
def stop_emails_of_uninstalled_shop(sender: Any, shop: Shop, **_: Any) -> None:
    routing.cancel_unsent(shop=shop, reason=Notification.Suppression.UNINSTALLED)

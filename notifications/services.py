"""The only way other apps speak to the merchant: banners and notifications."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import Banner, BannerKind, Category, Notification
from salestio.models import Shop


def raise_banner(
    *, shop: Shop, kind: BannerKind, subject: str = "", context: dict[str, Any] | None = None
) -> Banner:
    """Show a banner while its condition holds; raising it again updates its context."""
    active = Banner.objects.filter(shop=shop, kind=kind, subject=subject, resolved_at=None)
    try:
        with transaction.atomic():
            return Banner.objects.create(shop=shop, kind=kind, subject=subject, context=context or {})
    except IntegrityError:
        banner = active.get()
        if context is not None and banner.context != context:
            banner.context = context
            banner.save(update_fields=["context"])
        return banner


def resolve_banner(*, shop: Shop, kind: BannerKind, subject: str = "") -> bool:
    """The condition cleared: the banner leaves the dashboard and stays in history."""
    return bool(
        Banner.objects.filter(shop=shop, kind=kind, subject=subject, resolved_at=None).update(
            resolved_at=timezone.now()
        )
    )


def notify(
    *, shop: Shop, category: Category, key: str, context: dict[str, Any] | None = None
) -> Notification:
    """Record an incident; idempotent on `key` for as long as the incident is open."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                shop=shop, category=category, key=key, context=context or {}
            )
    except IntegrityError:
        return Notification.objects.get(shop=shop, category=category, key=key, closed_at=None)


def close_incident(*, shop: Shop, category: Category, key: str) -> None:
    """The incident is fixed: the same key failing again later is a new notification."""
    Notification.objects.filter(shop=shop, category=category, key=key, closed_at=None).update(
        closed_at=timezone.now()
    )

from django.db.models import QuerySet

from notifications.models import Banner
from salestio.models import Shop


def active_banners(*, shop: Shop) -> QuerySet[Banner]:
    return Banner.objects.filter(shop=shop, resolved_at=None).order_by("-raised_at")

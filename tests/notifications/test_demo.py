"""`make demo`'s part of the notifications: every category on, nothing invented (banners and
emails come only from real state made by the other seeders: tests/salestio/test_seed_demo.py)."""

from demo import notifications as demo
from notifications import selectors
from notifications.models import SETTINGS_CATEGORIES, Banner, Notification
from salestio.models import Shop


def test_the_demo_switches_every_category_on_and_invents_nothing(shop: Shop) -> None:
    demo.switch_every_category_on(shop)
    demo.switch_every_category_on(shop)  # seed_demo may run again
    prefs = selectors.notification_settings(shop=shop)
    assert all(getattr(prefs, str(category)) for category in SETTINGS_CATEGORIES)
    assert not Banner.objects.filter(shop=shop).exists()
    assert not Notification.objects.filter(shop=shop).exists()

"""`make demo`: every email category switched on, before any other seeder runs, so the
incidents the real paths raise (an expired account, a failed order import, a refused
fulfillment, a listing in Update Error, the plan limit) are emailed, never "switched off".

Nothing is invented here: every banner and email of the demo comes from real state made by
the other seeders (see demo.seeding), so none of them can contradict the pages."""

from typing import Any

from notifications import selectors, services
from notifications.models import SETTINGS_CATEGORIES
from salestio.models import Shop


def switch_every_category_on(shop: Shop, **_: Any) -> None:
    prefs = selectors.notification_settings(shop=shop)
    services.update_notification_settings(
        shop=shop,
        values={
            **{str(category): True for category in SETTINGS_CATEGORIES},
            "use_shop_email": True,
            "email": prefs.email,
            "language": prefs.language,
        },
    )

"""Events of the tenant's life that other apps react to (pause jobs, scrub data)."""

from django.dispatch import Signal

# sender=Shop, shop=Shop. Receivers stop every job of the shop.
shop_uninstalled = Signal()
# sender=Shop, shop=Shop, customer=dict (Shopify's customers/redact payload).
customer_redact_requested = Signal()
# sender=Shop, shop=Shop. A shop that had uninstalled the app installed it again.
shop_reinstalled = Signal()

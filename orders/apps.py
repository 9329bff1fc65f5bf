from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders import receivers
        from salestio.webhooks import HANDLERS

        HANDLERS["fulfillments/create"] = receivers.on_fulfillment_created

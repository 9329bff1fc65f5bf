from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import banner_conditions, receivers  # noqa: F401  (connects receivers)

        banner_conditions.register()

import os

from django.apps import AppConfig
from django.conf import settings


class SalestioConfig(AppConfig):
    name = "salestio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # kombu's filesystem transport (the demo's embedded broker) expects its folders.
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
                if isinstance(folder, str):
                    os.makedirs(folder, exist_ok=True)

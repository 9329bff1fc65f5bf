"""The Celery app. Defaults every task inherits: late acks, time limits, backoff with jitter."""

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")


class SalestioTask(Task):
    """Transient failures retry with exponential backoff and jitter; others fail at once."""

    acks_late = True
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 6


app = Celery("salestio", task_cls=SalestioTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""The Celery app. Defaults every task inherits: late acks, time limits, backoff with jitter."""

import os
from datetime import datetime
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from salestio.backoff import backoff_seconds

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")


class SalestioTask(Task):
    """Transient failures retry with exponential backoff and jitter; others fail at once."""

    acks_late = True
    max_retries = 6
    # autoretry_for and self.retry() without a countdown wait this (salestio.backoff).
    retry_backoff_base_s = 2.0
    retry_backoff_max_s = 600.0

    def retry(  # type: ignore[override]
        self,
        args: Any = None,
        kwargs: Any = None,
        exc: Exception | None = None,
        throw: bool = True,
        eta: datetime | None = None,
        countdown: float | None = None,
        **options: Any,
    ) -> Any:
        if countdown is None and eta is None:
            countdown = backoff_seconds(
                self.request.retries, base=self.retry_backoff_base_s, cap=self.retry_backoff_max_s
            )
        return super().retry(
            args, kwargs, exc=exc, throw=throw, eta=eta, countdown=countdown, **options
        )


app = Celery("salestio", task_cls=SalestioTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _usable_database_connection(task: Task | None = None, **_kwargs: object) -> None:
    """Like Django around a request: a connection past CONN_MAX_AGE or broken is closed, and
    the next query health-checks it first (CONN_HEALTH_CHECKS; salestio.postgresql), so a
    connection the server dropped between tasks (restart, failover, pg_terminate_backend)
    fails no task. Celery's own fixup would close every connection per task, unless
    CELERY_DB_REUSE_MAX says to keep them (settings). Not for an eager task: it runs inside
    its caller's transaction."""
    if task is not None and not task.request.is_eager:
        close_old_connections()

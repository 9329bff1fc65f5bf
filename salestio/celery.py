"""The Celery app. Defaults every task inherits: late acks, time limits, backoff with jitter."""

import os

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

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


@task_prerun.connect
@task_postrun.connect
def _usable_database_connection(task: Task | None = None, **_kwargs: object) -> None:
    """Like Django around a request: a connection past CONN_MAX_AGE or broken is closed, and
    the next query health-checks it first (CONN_HEALTH_CHECKS), so a connection the server
    dropped between tasks (restart, failover, pg_terminate_backend) fails no task. Celery's
    own fixup would close every connection per task, unless CELERY_DB_REUSE_MAX says to keep
    them (settings). Not for an eager task: it runs inside its caller's transaction."""
    if task is not None and not task.request.is_eager:
        close_old_connections()

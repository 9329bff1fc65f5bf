"""Thin Celery tasks of the outbox: take ids, call notifications.routing and .delivery."""

from functools import partial

from celery import Task, shared_task
from django.utils import timezone

from notifications import delivery, routing
from notifications.models import Email
from salestio.logging import shop_log_context
from salestio.outbox import publish

SWEEP_LIMIT = 2000
BATCH = 100


@shared_task(bind=True, max_retries=None)  # delivery.deliver() bounds the attempts itself
def send_email(self: Task, email_id: int) -> None:
    with shop_log_context(_domain_of(email_id)):
        retry_in = delivery.deliver(email_id=email_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task
def send_emails(email_ids: list[int]) -> None:
    """The emails one compose made, sent one after the other; one that must wait for a retry
    goes on as its own send_email task, on its own backoff."""
    for email_id in email_ids:
        with shop_log_context(_domain_of(email_id)):
            retry_in = delivery.deliver(email_id=email_id)
        if retry_in is not None:  # unpublished (broker down): the stalled-email sweep's
            publish(send_email, email_id, countdown=retry_in)


def _domain_of(email_id: int) -> str:
    domain = Email.objects.filter(pk=email_id).values_list("shop__domain", flat=True).first()
    return domain or "-"


@shared_task
def flush_digests() -> int:
    """Beat: lease the due digest windows in one statement, fanned out to batch tasks."""
    return routing.fan_out_due_digests(
        now=timezone.now(),
        limit=SWEEP_LIMIT,
        size=BATCH,
        enqueue=partial(publish, compose_digests),
    )


@shared_task
def compose_digests(window_ids: list[int]) -> int:
    return sum(routing.flush_digest(window_id=window_id) is not None for window_id in window_ids)


@shared_task
def requeue_stalled_emails() -> int:
    """Beat: an email whose worker died mid-send or whose task was lost is sent again; the
    claim stops any double send."""
    return delivery.fan_out_stalled_emails(
        now=timezone.now(), limit=SWEEP_LIMIT, enqueue=partial(publish, send_emails)
    )

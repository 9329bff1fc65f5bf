"""Delivery: emails are claimed, checked again against the shop and its settings, sent and
recorded by `deliver`; a claim is a lease that a dead worker loses, and a failed hand-over is
retried with backoff until the attempts run out. notifications.routing composes what this sends.

Every claim is a conditional UPDATE whose row count says who won, so duplicate tasks and
overlapping beat runs never send twice.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from notifications import emails, selectors, transport
from notifications.models import DeliveryAttempt, Email, NotificationSettings
from notifications.routing import cancel_emails
from salestio.backoff import backoff_seconds
from salestio.claims import claim, claim_ids, fan_out

log = logging.getLogger(__name__)

# A claim's lease: a worker holding one longer died mid-send (the task time limit is 150 s).
SENDING_LEASE = timedelta(seconds=settings.NOTIFICATION_SENDING_LEASE_S)
# An unsent email whose task has not run for this long is enqueued again: the email row is its
# own outbox entry (salestio.outbox), on the outbox's lease.
STALLED_AFTER = timedelta(seconds=settings.OUTBOX_LEASE_S)
ERROR_MAX_CHARS = 4000
WORKER_DIED = "The worker stopped during this attempt: no result within {minutes} minutes."


def deliver(*, email_id: int) -> int | None:
    """One attempt at sending; returns the seconds to wait before the next one, if any.

    A claimed attempt always ends recorded (sent, retry, failed or not sent), whatever is
    raised; only a worker that dies leaves it open, and its lease's end closes it.
    """
    attempt = _claim_attempt(email_id)
    if attempt is None:
        return None
    email = attempt.email
    try:
        prefs = selectors.notification_settings(shop=email.shop)
        if reason := selectors.reason_not_to_send(email=email, prefs=prefs):
            _record_cancelled(email, attempt, reason)
            return None
        if not email.subject:
            _store_rendered(email, prefs)
        esp_message_id = transport.send(emails.build_message(email))
    except transport.TransportError as exc:
        return _record_failure(email, attempt, str(exc), permanent=exc.permanent)
    except Exception as exc:
        # Our own bug (a stored row the code no longer reads, say): retried and recorded like a
        # backend's (transport.send), never left "sending"; the traceback goes to the log.
        log.exception("email %s: unexpected error", email.pk, extra={"shop": email.shop.domain})
        return _record_failure(email, attempt, f"{type(exc).__name__}: {exc}", permanent=False)
    _record_sent(email, attempt, esp_message_id)
    return None


def _store_rendered(email: Email, prefs: NotificationSettings) -> None:
    """Rendered once, at the first attempt, and kept: every retry sends the same content and
    headers (the same Message-ID), and the history shows what went out."""
    rendered = emails.render_stored(email, prefs)
    Email.objects.filter(pk=email.pk).update(**rendered)
    for name, value in rendered.items():
        setattr(email, name, value)


@transaction.atomic  # the claim and its attempt row commit together, before the send
def _claim_attempt(email_id: int) -> DeliveryAttempt | None:
    now = timezone.now()
    claimed = Email.objects.filter(
        pk=email_id, status__in=[Email.Status.QUEUED, Email.Status.RETRYING]
    ).update(
        status=Email.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        next_attempt_at=now + SENDING_LEASE,
    )
    if not claimed:
        return None
    email = Email.objects.select_related("shop").get(pk=email_id)
    return DeliveryAttempt.objects.create(email=email, number=email.attempts, started_at=now)


def _finish(attempt: DeliveryAttempt, outcome: str, error: str = "") -> None:
    attempt.outcome, attempt.error, attempt.finished_at = outcome, error, timezone.now()
    attempt.save(update_fields=["outcome", "error", "finished_at"])


@transaction.atomic
def _record_sent(email: Email, attempt: DeliveryAttempt, esp_message_id: str) -> None:
    _finish(attempt, DeliveryAttempt.Outcome.SENT)
    Email.objects.filter(pk=email.pk).update(
        status=Email.Status.SENT,
        esp_message_id=esp_message_id,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )
    log.info(
        "email %s sent to %s (attempt %d, esp id %r)",
        email.pk,
        email.recipient,
        email.attempts,
        esp_message_id,
        extra={"shop": email.shop.domain},
    )


@transaction.atomic
def _record_cancelled(email: Email, attempt: DeliveryAttempt, reason: str) -> None:
    _finish(attempt, DeliveryAttempt.Outcome.CANCELLED)
    cancel_emails(Email.objects.filter(pk=email.pk), reason)
    log.info("email %s not sent: %s", email.pk, reason, extra={"shop": email.shop.domain})


@transaction.atomic
def _record_failure(
    email: Email, attempt: DeliveryAttempt, error: str, *, permanent: bool
) -> int | None:
    error = error[:ERROR_MAX_CHARS]
    if permanent or email.attempts >= settings.NOTIFICATION_SEND_MAX_ATTEMPTS:
        _finish(attempt, DeliveryAttempt.Outcome.FAILED, error)
        Email.objects.filter(pk=email.pk).update(
            status=Email.Status.FAILED, last_error=error, next_attempt_at=None
        )
        log.error(
            "email %s failed for good after %d attempt(s): %s",
            email.pk,
            email.attempts,
            error,
            extra={"shop": email.shop.domain},
        )
        return None
    delay = retry_delay(email.attempts)
    _finish(attempt, DeliveryAttempt.Outcome.RETRY, error)
    Email.objects.filter(pk=email.pk).update(
        status=Email.Status.RETRYING,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    log.warning(
        "email %s attempt %d failed, retrying in %ds: %s",
        email.pk,
        email.attempts,
        delay,
        error,
        extra={"shop": email.shop.domain},
    )
    return delay


def retry_delay(attempts: int) -> int:
    """Whole seconds (the task's countdown): a recovering ESP is not hit by every shop at once."""
    return round(
        backoff_seconds(
            attempts - 1,
            base=settings.NOTIFICATION_RETRY_BACKOFF_S,
            cap=settings.NOTIFICATION_RETRY_BACKOFF_MAX_S,
        )
    )


def fan_out_stalled_emails(
    *, now: datetime, limit: int, enqueue: Callable[[list[int]], object]
) -> int:
    """Emails to send again, each claimed in one statement, handed on in batches of
    NOTIFICATION_SEND_BATCH (send_emails): one query per claim whatever the number stalled.
    Returns how many emails."""
    email_ids = release_expired_leases(now=now, limit=limit)
    email_ids += claim_stalled_emails(now=now, limit=limit)
    fan_out(email_ids, size=settings.NOTIFICATION_SEND_BATCH, enqueue=enqueue)
    return len(email_ids)


def claim_stalled_emails(*, now: datetime, limit: int) -> list[int]:
    """Unsent emails whose task was lost (broker restart, worker killed), leased in one
    statement (email_unsent_idx): next_attempt_at moves to now, so they are stalled again only
    once STALLED_AFTER has passed, and an overlapping sweep does not send them too."""
    stalled = Email.objects.filter(
        status__in=[Email.Status.QUEUED, Email.Status.RETRYING],
        next_attempt_at__lt=now - STALLED_AFTER,
    ).order_by("next_attempt_at")
    return claim_ids(stalled, limit=limit, lease={"next_attempt_at": now})


@transaction.atomic  # the open attempts close with their emails
def release_expired_leases(*, now: datetime, limit: int) -> list[int]:
    """Claims whose worker died mid-send, released in one statement (email_unsent_idx): the
    email is retried, or failed once it had all its attempts, and its open attempt is closed
    with that error. Returns the emails to send again."""
    error = WORKER_DIED.format(minutes=int(SENDING_LEASE.total_seconds() // 60))
    expired = Email.objects.filter(status=Email.Status.SENDING, next_attempt_at__lt=now)
    released = claim(
        expired.order_by("pk"), limit=limit, lease=_retry_or_fail(now, error), returning=["status"]
    )
    _close_attempts(released, error, now)
    if released:
        log.warning("%d email(s) released after their worker died mid-send", len(released))
    return [pk for pk, status in released if status == Email.Status.RETRYING]


def _retry_or_fail(now: datetime, error: str) -> dict[str, Any]:
    """A dead worker's email, decided row by row inside the claim: retried now, or failed once
    it had all its attempts."""
    exhausted = Q(attempts__gte=settings.NOTIFICATION_SEND_MAX_ATTEMPTS)
    return {
        "status": Case(
            When(exhausted, then=Value(Email.Status.FAILED)),
            default=Value(Email.Status.RETRYING),
        ),
        "next_attempt_at": Case(
            When(exhausted, then=None), default=Value(now), output_field=DateTimeField()
        ),
        "last_error": error,
    }


def _close_attempts(released: list[tuple[Any, ...]], error: str, now: datetime) -> None:
    """The attempts the dead workers held, closed in one statement with their emails' fate."""
    failed = [pk for pk, status in released if status == Email.Status.FAILED]
    held = DeliveryAttempt.objects.filter(email_id__in=[pk for pk, _ in released], finished_at=None)
    held.update(
        outcome=Case(
            When(email_id__in=failed, then=Value(DeliveryAttempt.Outcome.FAILED)),
            default=Value(DeliveryAttempt.Outcome.RETRY),
        ),
        error=error,
        finished_at=now,
    )

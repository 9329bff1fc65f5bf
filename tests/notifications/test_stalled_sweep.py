"""The stalled-email sweep claims in one statement (issue 12): emails whose task was lost, and
sends whose worker died, are leased and handed to send_emails in batches; an overlapping sweep
takes other emails, and a worker that dies after the claim leaves the emails to a later one."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import delivery
from notifications.models import Category, DeliveryAttempt, Email
from salestio.models import Shop
from tests.concurrency import claim_beside_an_open_claim

ORDER = Category.ORDER_IMPORT_FAILED


def _emails(shop: Shop, count: int, **fields: Any) -> set[int]:
    rows = Email.objects.bulk_create(
        Email(shop=shop, category=ORDER, recipient="owner@example.com", language="en", **fields)
        for _ in range(count)
    )
    return {email.pk for email in rows}


def _lost(shop: Shop, count: int, now: datetime) -> set[int]:
    """Queued emails whose send task never ran."""
    return _emails(shop, count, next_attempt_at=now - delivery.STALLED_AFTER * 2)


def _died_mid_send(shop: Shop, count: int, now: datetime, *, attempts: int = 1) -> set[int]:
    """Emails whose worker died while sending: their lease ended, their attempt is open."""
    started = now - delivery.SENDING_LEASE - timedelta(minutes=1)
    ids = _emails(
        shop,
        count,
        status=Email.Status.SENDING,
        attempts=attempts,
        claimed_at=started,
        next_attempt_at=started + delivery.SENDING_LEASE,
    )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(email_id=pk, number=attempts, started_at=started) for pk in ids
    )
    return ids


def _not_due(shop: Shop, now: datetime) -> None:
    """Queued a moment ago, sending within its lease, sent: none of the sweep's."""
    _emails(shop, 3, next_attempt_at=now)
    _emails(shop, 3, status=Email.Status.SENDING, next_attempt_at=now + timedelta(minutes=1))
    _emails(shop, 3, status=Email.Status.SENT)


def _sweep(now: datetime) -> tuple[list[list[int]], int]:
    batches: list[list[int]] = []
    with CaptureQueriesContext(connection) as queries:
        delivery.fan_out_stalled_emails(now=now, limit=1000, enqueue=batches.append)
    return batches, len(queries)


def test_the_stalled_email_sweep_costs_as_many_statements_for_200_emails_as_for_1(
    shop: Shop, settings: Any
) -> None:
    settings.NOTIFICATION_SEND_BATCH = 25
    statements = {}
    for due in (1, 200):
        now = timezone.now()
        expected = _lost(shop, due, now) | _died_mid_send(shop, due, now)
        _not_due(shop, now)
        batches, statements[due] = _sweep(now)
        claimed = [pk for batch in batches for pk in batch]
        assert sorted(claimed) == sorted(expected)  # each email once, none not stalled
        assert all(len(batch) <= 25 for batch in batches)
        assert _sweep(now)[0] == []  # leased: a second sweep finds nothing
    assert statements[1] == statements[200]


def test_a_stalled_email_whose_new_task_is_lost_too_is_claimed_again_after_the_lease(
    shop: Shop,
) -> None:
    now = timezone.now()
    lost = _lost(shop, 2, now) | _died_mid_send(shop, 2, now)
    assert sorted(pk for batch in _sweep(now)[0] for pk in batch) == sorted(lost)
    assert _sweep(now + delivery.STALLED_AFTER)[0] == []
    later = now + delivery.STALLED_AFTER + timedelta(seconds=1)
    assert sorted(pk for batch in _sweep(later)[0] for pk in batch) == sorted(lost)


def test_one_release_retries_the_emails_with_attempts_left_and_fails_the_others(
    shop: Shop, settings: Any
) -> None:
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 3
    now = timezone.now()
    retried = _died_mid_send(shop, 2, now, attempts=2)
    failed = _died_mid_send(shop, 2, now, attempts=3)
    assert sorted(delivery.release_expired_leases(now=now, limit=10)) == sorted(retried)
    emails = Email.objects.in_bulk(retried | failed)
    assert {emails[pk].status for pk in retried} == {Email.Status.RETRYING}
    assert {emails[pk].next_attempt_at for pk in retried} == {now}
    assert {(emails[pk].status, emails[pk].next_attempt_at) for pk in failed} == {
        (Email.Status.FAILED, None)
    }
    outcomes = dict(DeliveryAttempt.objects.values_list("email_id", "outcome"))
    assert {outcomes[pk] for pk in retried} == {DeliveryAttempt.Outcome.RETRY}
    assert {outcomes[pk] for pk in failed} == {DeliveryAttempt.Outcome.FAILED}
    assert not DeliveryAttempt.objects.filter(finished_at=None).exists()
    assert all("stopped" in email.last_error for email in emails.values())


Claim = Callable[..., list[int]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("stall", "claim"),
    [(_lost, delivery.claim_stalled_emails), (_died_mid_send, delivery.release_expired_leases)],
)
def test_two_stalled_email_sweeps_at_once_claim_disjoint_emails_and_together_all(
    stall: Callable[[Shop, int, datetime], set[int]], claim: Claim, shop: Shop
) -> None:
    now = timezone.now()
    expected = stall(shop, 10, now)
    _not_due(shop, now)
    held, claimed = claim_beside_an_open_claim(
        lambda: claim(now=now, limit=6), lambda: claim(now=now, limit=10)
    )
    assert len(held) == 6 and set(held).isdisjoint(claimed)
    assert set(held) | set(claimed) == expected

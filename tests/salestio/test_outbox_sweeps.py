"""The outbox sweeps claim in one statement (issue 12): jobs whose publish failed and webhook
events still waiting are leased anew, so an overlapping sweep takes others, and their cost in
queries does not grow with how many wait."""

from datetime import timedelta
from typing import Any, cast

import pytest
from celery import Task
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from salestio import outbox, webhooks
from salestio.models import OutboxTask, WebhookEvent
from tests.concurrency import claim_beside_an_open_claim

JOB = "tests.job"


class Broker:
    """Stands in for a task: records what the sweep publishes, or refuses it (broker down)."""

    name = JOB

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.published: list[tuple[Any, ...]] = []

    def apply_async(
        self, *, args: tuple[Any, ...], countdown: float, retry: bool, argsrepr: str
    ) -> None:
        if self.down:
            raise OperationalError("connection refused")
        self.published.append(args)

    def registry(self) -> dict[str, Task]:
        return {JOB: cast(Task, self)}


def _jobs(*, stalled: int, later: int) -> list[list[Any]]:
    """Jobs whose publish failed (`stalled`) and jobs still within their lease; the args of the
    stalled ones."""
    now = timezone.now()
    OutboxTask.objects.bulk_create(
        OutboxTask(
            task_name=JOB,
            args=[n, {"shop": f"shop-{n}"}],
            publish_after=now - timedelta(seconds=1) if n < stalled else now + outbox.lease(),
        )
        for n in range(stalled + later)
    )
    return [[n, {"shop": f"shop-{n}"}] for n in range(stalled)]


def _publish_stalled(broker: Broker) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        published = outbox.publish_stalled(tasks=broker.registry())
    return published, len(queries)


@pytest.mark.parametrize("stalled", [1, 200])
def test_the_outbox_sweep_claims_every_stalled_job_in_one_statement(stalled: int, db: None) -> None:
    expected = _jobs(stalled=stalled, later=5)
    broker = Broker()
    assert _publish_stalled(broker) == (stalled, 2)  # the claim, then the published deleted
    assert sorted(list(args) for args in broker.published) == sorted(expected)
    assert OutboxTask.objects.count() == 5


def test_a_job_whose_publish_fails_again_waits_for_a_new_lease(
    db: None, monkeypatch: pytest.MonkeyPatch, time_machine: Any
) -> None:
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)  # publish() pauses after a failure
    _jobs(stalled=1, later=0)
    assert _publish_stalled(Broker(down=True))[0] == 0
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)
    broker = Broker()
    assert _publish_stalled(broker)[0] == 0  # leased: this sweep leaves it alone
    time_machine.move_to(timezone.now() + outbox.lease() + timedelta(seconds=1))
    assert _publish_stalled(broker)[0] == 1 and not OutboxTask.objects.exists()


def _events(*, waiting: int, later: int) -> set[int]:
    """Received events past their lease (`waiting`), within it, and processed ones."""
    now = timezone.now()
    rows = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            event_id=f"event-{n}",
            topic="shop/update",
            payload={},
            status=WebhookEvent.Status.RECEIVED if n < waiting + later else "processed",
            requeue_after=now - timedelta(seconds=1) if n < waiting else now + outbox.lease(),
        )
        for n in range(waiting + 2 * later)
    )
    return {event.pk for event in rows[:waiting]}


@pytest.mark.parametrize("waiting", [1, 200])
def test_the_webhook_sweep_claims_every_waiting_event_in_one_statement(
    waiting: int, db: None
) -> None:
    expected = _events(waiting=waiting, later=5)
    with CaptureQueriesContext(connection) as queries:
        claimed = webhooks.requeue_unprocessed(limit=outbox.SWEEP_BATCH)
    assert len(queries) == 1
    assert sorted(claimed) == sorted(expected)
    assert webhooks.requeue_unprocessed(limit=outbox.SWEEP_BATCH) == []  # leased anew


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_webhook_sweeps_at_once_claim_disjoint_events_and_together_all() -> None:
    expected = _events(waiting=10, later=5)
    held, claimed = claim_beside_an_open_claim(
        lambda: webhooks.requeue_unprocessed(limit=6),
        lambda: webhooks.requeue_unprocessed(limit=10),
    )
    assert len(held) == 6 and set(held).isdisjoint(claimed)
    assert set(held) | set(claimed) == expected

"""The digest sweep claims every due window in one statement (issue 12) and leases it: a flush
task lost with its worker leaves the window to a later sweep, and a window's digest goes out
once however many flush tasks it gets."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import routing
from notifications.models import Category, DigestWindow, Notification
from notifications.tasks import compose_digests, flush_digests
from salestio import outbox
from salestio.models import Shop
from tests.concurrency import claim_beside_an_open_claim
from tests.notifications.test_digest import fail_listings, skus_in

LISTING = Category.LISTING_UPDATE_FAILED


def _windows(*, due: int, later: int) -> set[int]:
    """Windows of as many shops: `due` whose digest is due, `later` whose window still runs."""
    now = timezone.now()
    shops = Shop.objects.bulk_create(
        Shop(domain=f"digest-{n}.myshopify.com") for n in range(due + later)
    )
    windows = DigestWindow.objects.bulk_create(
        DigestWindow(
            shop=shop,
            category=LISTING,
            last_email_at=now - settings.NOTIFICATION_DIGEST_WINDOW,
            digest_due_at=now - timedelta(minutes=1) if n < due else now + timedelta(minutes=5),
        )
        for n, shop in enumerate(shops)
    )
    return {window.pk for window in windows[:due]}


def _sweep(now: Any) -> tuple[list[list[int]], int]:
    batches: list[list[int]] = []
    with CaptureQueriesContext(connection) as queries:
        routing.fan_out_due_digests(now=now, limit=1000, size=25, enqueue=batches.append)
    return batches, len(queries)


@pytest.mark.parametrize("due", [1, 200])
def test_the_digest_sweep_claims_every_due_window_in_one_statement(due: int, db: None) -> None:
    expected = _windows(due=due, later=20)
    now = timezone.now()
    batches, statements = _sweep(now)
    assert statements == 1
    claimed = [pk for batch in batches for pk in batch]
    assert sorted(claimed) == sorted(expected)  # each due window once, none still running
    assert all(len(batch) <= 25 for batch in batches) and len(batches) == -(-due // 25)
    leased = DigestWindow.objects.filter(pk__in=expected).values_list("digest_due_at", flat=True)
    assert set(leased) == {now + outbox.lease()}
    assert _sweep(now) == ([], 1)  # leased: a second sweep finds nothing due


@pytest.fixture
def ended_window(
    shop: Shop, enable: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """SKU-A emailed at once, SKU-B held for the digest, and the window is over."""
    enable(shop)
    with django_capture_on_commit_callbacks(execute=True):
        fail_listings(shop, ["SKU-A", "SKU-B"])
    time_machine.move_to(
        timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1)
    )


def test_a_digest_whose_flush_task_was_lost_goes_out_once_its_lease_ends(
    ended_window: None, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lost: list[list[int]] = []
    routing.fan_out_due_digests(now=timezone.now(), limit=10, size=10, enqueue=lost.append)
    assert len(lost) == 1 and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_digests() == 0  # the lease still runs
        time_machine.move_to(timezone.now() + outbox.lease() + timedelta(seconds=1))
        assert flush_digests() == 1
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B"}]


def test_two_flush_tasks_for_one_window_send_one_digest(
    ended_window: None, django_capture_on_commit_callbacks: Any
) -> None:
    claimed = routing.claim_due_digests(now=timezone.now(), limit=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert compose_digests(claimed) == 1
        assert compose_digests(claimed) == 0  # a duplicate of the task finds nothing held
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B"}]


def test_a_flush_task_delivered_late_never_sends_the_next_windows_digest_early(
    ended_window: None, shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    claimed = routing.claim_due_digests(now=timezone.now(), limit=10)
    with django_capture_on_commit_callbacks(execute=True):
        compose_digests(claimed)
        time_machine.move_to(timezone.now() + timedelta(minutes=1))
        fail_listings(shop, ["SKU-C"])  # held: the digest opened the next window
        assert compose_digests(claimed) == 0  # the same task again, late
    assert Notification.objects.get(key="listing:SKU-C").status == Notification.Status.PENDING
    assert len(mail.outbox) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_digest_sweeps_at_once_claim_disjoint_windows_and_together_all() -> None:
    expected = _windows(due=10, later=5)
    now = timezone.now()
    held, claimed = claim_beside_an_open_claim(
        lambda: routing.claim_due_digests(now=now, limit=6),
        lambda: routing.claim_due_digests(now=now, limit=10),
    )
    assert len(held) == 6 and set(held).isdisjoint(claimed)
    assert set(held) | set(claimed) == expected

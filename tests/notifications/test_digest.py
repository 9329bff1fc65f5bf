"""No flooding: per shop and category the first notification is emailed at once, the rest of the
window waits for one digest that lists every item."""

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from notifications import routing, services
from notifications.models import Category, DigestWindow, Email, Notification
from notifications.tasks import flush_digests
from salestio.models import Shop
from tests.concurrency import in_thread, wait_for_a_lock_waiter
from tests.notifications.conftest import CONTEXTS
from tests.notifications.mime import html_text

LISTING = Category.LISTING_UPDATE_FAILED


def fail_listings(shop: Shop, skus: list[str]) -> None:
    for sku in skus:
        services.notify(
            shop=shop,
            category=LISTING,
            key=f"listing:{sku}",
            context={**CONTEXTS[LISTING], "sku": sku},
        )


@dataclass
class Window:
    """A shop with every category on, its listing failures, and the digest window's end."""

    shop: Shop
    settings: Any
    time_machine: Any
    capture: Any

    def fail(self, skus: list[str], *, shop: Shop | None = None) -> None:
        """Listing failures, their emails sent as the request's commit would send them."""
        with self.capture(execute=True):
            fail_listings(shop or self.shop, skus)

    def pass_time(self, span: timedelta) -> None:
        self.time_machine.move_to(timezone.now() + span)

    def end(self) -> int:
        """The window is over and the beat's flush runs: how many digests it sent."""
        self.pass_time(self.settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1))
        return self.flush()

    def flush(self) -> int:
        with self.capture(execute=True):
            return flush_digests()


@pytest.fixture
def window(
    shop: Shop,
    enable: Callable[..., None],
    time_machine: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> Window:
    enable(shop)
    return Window(shop, settings, time_machine, django_capture_on_commit_callbacks)


def skus_in(message: Any) -> set[str]:
    """Every SKU a received email names: its text part and its CSV attachment, read from MIME."""
    parsed = message_from_bytes(message.message().as_bytes(), policy=default)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    found = {word for word in text.split() if word.startswith("SKU-")}
    for attachment in parsed.iter_attachments():
        rows = csv.DictReader(io.StringIO(attachment.get_content()))
        found |= {row["sku"] for row in rows}
    return found


def test_a_burst_of_500_failures_makes_at_most_two_emails_naming_all_500(window: Window) -> None:
    skus = [f"SKU-{n:03}" for n in range(500)]
    window.fail(skus)
    assert len(mail.outbox) == 1  # the first one went out at once
    window.end()

    assert len(mail.outbox) <= 2
    named = set().union(*(skus_in(message) for message in mail.outbox))
    assert named == set(skus)
    assert Notification.objects.filter(status=Notification.Status.QUEUED).count() == 500


def test_a_long_digest_shows_the_first_items_the_count_and_a_link_to_the_filtered_page(
    window: Window, settings: Any, shop_client: Callable[[Shop], Any]
) -> None:
    settings.NOTIFICATION_DIGEST_ITEMS_SHOWN = 3
    window.fail([f"SKU-{n}" for n in range(9)])
    window.end()

    digest = Email.objects.order_by("pk").last()
    assert digest is not None
    text, links = html_text(digest.html)
    assert digest.subject == "Update Error for 8 products"
    assert "SKU SKU-1 (Etsy)" in text and "SKU SKU-3 (Etsy)" in text and "SKU-4" not in text
    assert "…and 5 more. The attached CSV file lists all 8 items." in text
    filtered = f"{reverse('notifications:history')}?email={digest.pk}"
    assert any(link.endswith(filtered) for link in links)
    page = shop_client(window.shop).get(filtered).content.decode()
    assert page.count("<tr data-notification=") == 8


def test_a_short_digest_lists_every_item_without_an_attachment(window: Window) -> None:
    window.fail(["SKU-A", "SKU-B", "SKU-C"])
    window.end()
    digest = mail.outbox[-1]
    assert skus_in(digest) == {"SKU-B", "SKU-C"} and digest.attachments == []


def test_a_second_flush_sends_no_second_digest(window: Window) -> None:
    window.fail(["SKU-A", "SKU-B"])
    assert window.end() == 1
    assert window.flush() == 0
    assert len(mail.outbox) == 2


def test_after_a_quiet_window_the_next_failure_goes_out_at_once(
    window: Window, settings: Any
) -> None:
    window.fail(["SKU-A"])
    window.pass_time(settings.NOTIFICATION_DIGEST_WINDOW + timedelta(seconds=1))
    window.fail(["SKU-B"])
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B"}]


def test_categories_and_shops_have_windows_of_their_own(
    make_shop: Callable[..., Shop], enable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop_a, shop_b = make_shop("shop-a.myshopify.com"), make_shop("shop-b.myshopify.com")
    enable(shop_a)
    enable(shop_b)
    with django_capture_on_commit_callbacks(execute=True):
        fail_listings(shop_a, ["SKU-A"])
        fail_listings(shop_b, ["SKU-A"])
        services.notify(
            shop=shop_a,
            category=Category.ORDER_IMPORT_FAILED,
            key="order:1",
            context=CONTEXTS[Category.ORDER_IMPORT_FAILED],
        )
    assert len(mail.outbox) == 3


def test_a_category_switched_off_during_the_window_suppresses_its_digest(
    window: Window,
) -> None:
    window.fail(["SKU-A", "SKU-B"])
    services.unsubscribe(shop=window.shop, category=LISTING)
    window.end()
    assert len(mail.outbox) == 1
    held = Notification.objects.get(key="listing:SKU-B")
    assert held.suppressed_reason == Notification.Suppression.CATEGORY_OFF


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failure_held_as_the_window_ends_is_in_the_digest_flushed_meanwhile(
    shop: Shop, enable: Any, time_machine: Any, settings: Any
) -> None:
    """The flush waits for the held row's commit (the window row is locked, see
    routing.schedule_digest) instead of sending without it and leaving it pending for good.

    Guards against schedule_digest leaving a window unlocked when its digest is already due:
    then the flush never waits (wait_for_a_lock_waiter fails) and SKU-C misses the digest."""
    enable(shop)
    window_ends = timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW
    fail_listings(shop, ["SKU-A", "SKU-B"])  # A at once, B held: a digest due as the window ends
    held, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def notify_in_a_transaction_still_open() -> None:
        with transaction.atomic():  # as a caller's own transaction: notify() commits with it
            fail_listings(shop, ["SKU-C"])
            held.set()
            resume.wait(timeout=30)

    time_machine.move_to(window_ends - timedelta(seconds=1))
    notifying = in_thread(notify_in_a_transaction_still_open, errors)
    try:
        assert held.wait(timeout=10)
        time_machine.move_to(window_ends + timedelta(minutes=1))
        window_id = DigestWindow.objects.get().pk
        flushing = in_thread(lambda: routing.flush_digest(window_id=window_id), errors)
        with connection.cursor() as cursor:
            wait_for_a_lock_waiter(cursor, waiter="flush_digest")
    finally:
        resume.set()
        notifying.join()
    flushing.join()

    assert errors == []
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B", "SKU-C"}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failure_held_while_the_digest_is_flushed_waits_and_is_in_the_next_digest(
    shop: Shop, enable: Any, time_machine: Any, settings: Any
) -> None:
    """The other order: the flush has claimed the window and not committed when a failure read
    the window as busy is held. The hold waits for the flush, then finds no digest due (the
    flush cleared it) and schedules the next one.

    Guards against the hold deciding on the window as its statement first saw it (a digest
    due): it would write nothing, and SKU-C would stay pending with no digest due, for good."""
    enable(shop)
    window_ends = timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW
    fail_listings(shop, ["SKU-A", "SKU-B"])  # A at once, B held: a digest due as the window ends
    window_id = DigestWindow.objects.get().pk
    flushed, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def flush_in_a_transaction_still_open() -> None:
        with transaction.atomic():
            routing.flush_digest(window_id=window_id)
            flushed.set()
            resume.wait(timeout=30)

    time_machine.move_to(window_ends + timedelta(minutes=1))
    flushing = in_thread(flush_in_a_transaction_still_open, errors)
    try:
        assert flushed.wait(timeout=10)
        time_machine.move_to(window_ends - timedelta(seconds=1))  # read as busy: held
        holding = in_thread(lambda: fail_listings(shop, ["SKU-C"]), errors)
        with connection.cursor() as cursor:
            wait_for_a_lock_waiter(cursor, waiter="the hold of SKU-C")
    finally:
        resume.set()
        flushing.join()
    holding.join()

    assert errors == []
    assert Notification.objects.get(key="listing:SKU-C").status == Notification.Status.PENDING
    assert DigestWindow.objects.get().digest_due_at is not None
    time_machine.move_to(timezone.now() + 2 * settings.NOTIFICATION_DIGEST_WINDOW)
    flush_digests()
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B"}, {"SKU-C"}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failure_whose_window_claim_is_lost_to_a_concurrent_opener_is_in_its_digest(
    shop: Shop, enable: Any, time_machine: Any, settings: Any
) -> None:
    """Both read no window; the first opens it and emails SKU-A; the second's claim waits for
    that commit, loses, and holds SKU-B for the window's digest.

    Guards against routing.route_many leaving a lost claim's item pending with no digest due
    (the claim and the busy windows' hold are one statement; a lost claim is held apart)."""
    enable(shop)
    opened, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def open_the_window_in_a_transaction_still_open() -> None:
        with transaction.atomic():
            fail_listings(shop, ["SKU-A"])
            opened.set()
            resume.wait(timeout=30)

    opening = in_thread(open_the_window_in_a_transaction_still_open, errors)
    try:
        assert opened.wait(timeout=10)
        losing = in_thread(lambda: fail_listings(shop, ["SKU-B"]), errors)
        with connection.cursor() as cursor:
            wait_for_a_lock_waiter(cursor, waiter="the second notify's claim")
    finally:
        resume.set()
        opening.join()
    losing.join()

    assert errors == []
    assert Notification.objects.get(key="listing:SKU-B").status == Notification.Status.PENDING
    assert DigestWindow.objects.get().digest_due_at is not None
    time_machine.move_to(
        timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1)
    )
    flush_digests()
    assert [skus_in(message) for message in mail.outbox] == [{"SKU-A"}, {"SKU-B"}]

"""Sending through a real anymail ESP backend (Postmark) over real HTTP to a local stand-in
for its API, and over SMTP: transient failures retry with backoff, permanent ones are recorded
and shown, and every attempt is a row."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from notifications import delivery, services
from notifications.models import Category, DeliveryAttempt, Email, Notification
from notifications.tasks import requeue_stalled_emails, send_email
from salestio.models import Shop
from tests.notifications.conftest import CONTEXTS, Inbox

ORDER = Category.ORDER_IMPORT_FAILED
MESSAGE_ID = "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"


class FakePostmark(BaseHTTPRequestHandler):
    """POST /email as Postmark answers it (postmarkapp.com/developer/api/email-api):
    the queued replies first, then 200 with a MessageID."""

    replies: list[tuple[int, dict[str, Any]]]
    requests: list[dict[str, Any]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(
            {"path": self.path, "token": self.headers["X-Postmark-Server-Token"], "body": body}
        )
        status, payload = (
            self.replies.pop(0)
            if self.replies
            else (
                200,
                {
                    "To": body["To"],
                    "SubmittedAt": "2026-11-28T10:00:00Z",
                    "MessageID": MESSAGE_ID,
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def postmark(settings: Any) -> Iterator[type[FakePostmark]]:
    handler = type("Handler", (FakePostmark,), {"replies": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{server.server_port}/",
    }
    yield handler
    server.shutdown()
    server.server_close()


def notify_order(shop: Shop, capture: Any) -> Email:
    with capture(execute=True):
        services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    return Email.objects.get()


def test_esp_failing_three_times_then_recovering_delivers_exactly_once(
    shop: Shop, enable: Any, postmark: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    postmark.replies = [(500, {"ErrorCode": 0, "Message": "Internal error"})] * 2 + [
        (503, {"Message": "Service unavailable"})
    ]
    email = notify_order(shop, django_capture_on_commit_callbacks)

    assert [request["path"] for request in postmark.requests] == ["/email"] * 4
    assert postmark.requests[-1]["token"] == "server-token"
    assert email.status == Email.Status.SENT
    assert email.esp_message_id == MESSAGE_ID
    assert email.attempts == 4
    outcomes = list(email.delivery_attempts.values_list("number", "outcome"))
    assert outcomes == [(1, "retry"), (2, "retry"), (3, "retry"), (4, "sent")]
    assert "503" in email.delivery_attempts.get(number=3).error


def test_a_permanent_esp_error_is_recorded_and_shown_in_the_history(
    shop: Shop,
    enable: Any,
    postmark: Any,
    django_capture_on_commit_callbacks: Any,
    shop_client: Any,
) -> None:
    enable(shop)
    postmark.replies = [(422, {"ErrorCode": 300, "Message": "Invalid 'From' address"})]
    email = notify_order(shop, django_capture_on_commit_callbacks)

    assert len(postmark.requests) == 1
    assert email.status == Email.Status.FAILED
    assert list(email.delivery_attempts.values_list("outcome", flat=True)) == ["failed"]
    page = shop_client(shop).get(reverse("notifications:history")).content.decode()
    assert "Failed" in page and "Invalid &#x27;From&#x27; address" in page


def test_a_refused_recipient_is_not_retried(
    shop: Shop, enable: Any, postmark: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    # Postmark's wording for error 406, as anymail/backends/postmark.py parses it.
    postmark.replies = [
        (
            422,
            {
                "ErrorCode": 406,
                "Message": (
                    "You tried to send to a recipient that has been marked as inactive.\n "
                    "Found inactive addresses: owner@shop-a.myshopify.com.\n Inactive "
                    "recipients are ones that have generated a hard bounce or a spam complaint. "
                ),
            },
        )
    ]
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert email.status == Email.Status.FAILED and email.attempts == 1


def test_an_smtp_server_saying_try_later_is_retried(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    smtp.refuse = ["451 4.3.0 Try again later"]
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert email.status == Email.Status.SENT and email.attempts == 2
    assert len(smtp.received) == 1


def test_an_smtp_server_refusing_for_good_is_not_retried(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    smtp.refuse = ["554 5.7.1 Message rejected"]
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert email.status == Email.Status.FAILED and email.attempts == 1
    assert "Message rejected" in email.last_error


def test_giving_up_after_the_last_attempt(
    shop: Shop, enable: Any, postmark: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 3
    postmark.replies = [(500, {"Message": "down"})] * 5
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert email.status == Email.Status.FAILED and email.attempts == 3
    assert len(postmark.requests) == 3


def test_a_sent_email_is_never_sent_again(
    shop: Shop, enable: Any, postmark: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert delivery.deliver(email_id=email.pk) is None
    assert len(postmark.requests) == 1 and DeliveryAttempt.objects.count() == 1


def test_backoff_grows_and_stays_under_its_cap(settings: Any) -> None:
    settings.NOTIFICATION_RETRY_BACKOFF_S, settings.NOTIFICATION_RETRY_BACKOFF_MAX_S = 2, 60
    delays = {attempt: {delivery.retry_delay(attempt) for _ in range(200)} for attempt in (1, 4, 9)}
    assert max(delays[1]) <= 2 and max(delays[4]) <= 16 and max(delays[9]) <= 60
    assert len(delays[4]) > 5  # jitter: not one fixed wait
    assert max(delays[4]) > max(delays[1])


def test_an_email_whose_task_was_lost_is_sent_by_the_sweep(
    shop: Shop, enable: Any, postmark: Any, time_machine: Any
) -> None:
    enable(shop)
    services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    email = Email.objects.get()  # on_commit never ran: the broker "lost" the task
    assert email.status == Email.Status.QUEUED and postmark.requests == []
    time_machine.move_to(email.created_at + delivery.STALLED_AFTER * 2)
    assert requeue_stalled_emails() == 1
    email.refresh_from_db()
    assert email.status == Email.Status.SENT and len(postmark.requests) == 1


class BrokenBackend(BaseEmailBackend):
    """An email backend with a bug of its own."""

    def send_messages(self, email_messages: Any) -> int:
        raise RuntimeError("backend misconfigured")


def test_a_backend_bug_ends_as_a_failed_email_with_its_error(
    shop: Shop, enable: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 2
    email = notify_order(shop, django_capture_on_commit_callbacks)
    assert email.status == Email.Status.FAILED and email.attempts == 2
    assert email.last_error == "RuntimeError: backend misconfigured"


def test_an_unexpected_error_before_the_hand_over_ends_as_a_failed_email_with_its_error(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    enable(shop)
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks() as sends:
        services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    # A stored row the code no longer reads: its context a list where the CSV built at send
    # time (every item is in it when none are shown) expects a dict.
    Notification.objects.update(context=[CONTEXTS[ORDER]])
    settings.NOTIFICATION_DIGEST_ITEMS_SHOWN = 0
    for send in sends:
        send()
    email = Email.objects.get()
    assert email.status == Email.Status.FAILED and email.attempts == 2
    assert email.last_error == "AttributeError: 'list' object has no attribute 'get'"
    assert list(email.delivery_attempts.values_list("outcome", flat=True)) == ["retry", "failed"]
    assert smtp.received == []


class DyingBackend(BaseEmailBackend):
    """The worker is killed mid-send (hard time limit, out of memory): nothing after it runs."""

    def send_messages(self, email_messages: Any) -> int:
        raise SystemExit("worker killed")


def die_while_sending(shop: Shop, settings: Any) -> Email:
    services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    email = Email.objects.get()
    backend, settings.EMAIL_BACKEND = settings.EMAIL_BACKEND, f"{__name__}.DyingBackend"
    with pytest.raises(SystemExit):
        send_email(email.pk)
    settings.EMAIL_BACKEND = backend
    email.refresh_from_db()
    assert email.status == Email.Status.SENDING
    return email


def test_an_email_whose_worker_died_mid_send_is_sent_again_once_its_lease_ends(
    shop: Shop, enable: Any, smtp: Inbox, settings: Any, time_machine: Any
) -> None:
    enable(shop)
    email = die_while_sending(shop, settings)
    time_machine.move_to(timezone.now() + delivery.SENDING_LEASE / 2)
    assert requeue_stalled_emails() == 0  # the worker may still be at it
    assert email.claimed_at is not None
    time_machine.move_to(email.claimed_at + delivery.SENDING_LEASE + timedelta(seconds=1))
    assert requeue_stalled_emails() == 1
    email.refresh_from_db()
    assert email.status == Email.Status.SENT and len(smtp.received) == 1
    died, sent = email.delivery_attempts.all()
    assert died.outcome == DeliveryAttempt.Outcome.RETRY and died.finished_at is not None
    assert "stopped" in died.error and sent.outcome == DeliveryAttempt.Outcome.SENT


def test_a_worker_dying_on_the_last_attempt_leaves_the_email_failed(
    shop: Shop, enable: Any, smtp: Inbox, settings: Any, time_machine: Any
) -> None:
    enable(shop)
    settings.NOTIFICATION_SEND_MAX_ATTEMPTS = 1
    email = die_while_sending(shop, settings)
    time_machine.move_to(email.created_at + delivery.SENDING_LEASE * 3)
    assert requeue_stalled_emails() == 0
    email.refresh_from_db()
    assert email.status == Email.Status.FAILED and "stopped" in email.last_error
    assert list(email.delivery_attempts.values_list("outcome", flat=True)) == ["failed"]
    assert smtp.received == []

"""A worker SIGKILLed in the middle of handing an email to the ESP (Postmark's API, a local
stand-in over real HTTP): after a restart the email goes out exactly once, and the attempt the
dead worker held is closed with that reason, not left "sending"."""

import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from notifications import services
from notifications.models import Category, DeliveryAttempt, Email
from notifications.tasks import requeue_stalled_emails
from tests.notifications.conftest import CONTEXTS
from tests.notifications.test_delivery import FakePostmark
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ORDER = Category.ORDER_IMPORT_FAILED
LEASE_S = 2


class SlowPostmark(FakePostmark):
    """Postmark's API whose first request hangs (the worker is killed while it waits) and is
    never accepted; later ones are answered 200 and recorded in `requests`."""

    first_request = threading.Event()
    release = threading.Event()
    url = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if not self.first_request.is_set():
            self.first_request.set()
            self.release.wait(timeout=60)
            return  # the sender is gone: nothing was accepted
        super().do_POST()


@pytest.fixture
def postmark() -> Iterator[type[SlowPostmark]]:
    # A class of its own per test: the state lives in class attributes the server shares.
    handler: type[SlowPostmark] = type(
        "Handler",
        (SlowPostmark,),
        {"replies": [], "requests": [], "first_request": threading.Event(),
         "release": threading.Event()},
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_port}/"
    yield handler
    handler.release.set()
    server.shutdown()
    server.server_close()


def _worker(real_worker: Callable[..., Worker], postmark: type[SlowPostmark]) -> Worker:
    return real_worker(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        POSTMARK_SERVER_TOKEN="server-token",
        POSTMARK_API_URL=postmark.url,
        NOTIFICATION_SENDING_LEASE_S=str(LEASE_S),
    )


def test_an_email_whose_worker_was_killed_mid_send_goes_out_once_after_a_restart(
    real_worker: Callable[..., Worker],
    postmark: type[SlowPostmark],
    enqueue_for_real: None,
    shop: Any,
    enable: Any,
) -> None:
    enable(shop)
    first = _worker(real_worker, postmark)
    try:
        services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
        assert postmark.first_request.wait(timeout=30), first.output()
        first.kill()  # no warm shutdown, no chance to record anything
    finally:
        first.stop()
    email = Email.objects.get()
    assert email.status == Email.Status.SENDING

    second = _worker(real_worker, postmark)
    try:
        time.sleep(LEASE_S + 0.5)  # the dead worker's lease runs out
        requeue_stalled_emails.delay()  # what beat runs every few minutes
        second.wait_for(lambda: Email.objects.filter(status=Email.Status.SENT).exists())
    finally:
        assert second.stop() == 0
    assert [request["body"]["To"] for request in postmark.requests] == [shop.owner_email]
    attempts = list(DeliveryAttempt.objects.order_by("number").values_list("outcome", "error"))
    assert [outcome for outcome, _ in attempts] == [
        DeliveryAttempt.Outcome.RETRY,
        DeliveryAttempt.Outcome.SENT,
    ]
    assert "The worker stopped during this attempt" in attempts[0][1]

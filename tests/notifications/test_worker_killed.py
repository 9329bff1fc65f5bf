"""A worker SIGKILLed in the middle of handing an email to the ESP (Postmark's API, a local
stand-in over real HTTP): after a restart the email goes out exactly once, and the attempt the
dead worker held is closed with that reason, not left "sending"."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from notifications import services
from notifications.models import Category, DeliveryAttempt, Email
from notifications.tasks import requeue_stalled_emails
from tests.notifications.conftest import CONTEXTS
from tests.salestio.test_worker import Worker, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ORDER = Category.ORDER_IMPORT_FAILED
LEASE_S = 2


class SlowPostmark(BaseHTTPRequestHandler):
    """POST /email: the first request hangs (the worker is killed while it waits) and is never
    accepted; later ones are accepted, each counted."""

    first_request = threading.Event()
    release = threading.Event()
    accepted: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.first_request.is_set():
            self.first_request.set()
            self.release.wait(timeout=60)
            return  # the sender is gone: nothing was accepted
        self.accepted.append(body["To"])
        data = json.dumps(
            {"To": body["To"], "SubmittedAt": "2026-11-30T10:00:00Z",
             "MessageID": f"msg-{len(self.accepted)}", "ErrorCode": 0, "Message": "OK"}
        ).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def postmark() -> Iterator[str]:
    SlowPostmark.first_request.clear()
    SlowPostmark.release.clear()
    SlowPostmark.accepted = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowPostmark)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    SlowPostmark.release.set()
    server.shutdown()


def _worker(tmp_path: Path, name: str, postmark: str) -> Worker:
    return start_worker(
        tmp_path / f"{name}.log",
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        POSTMARK_SERVER_TOKEN="server-token",
        POSTMARK_API_URL=postmark,
        NOTIFICATION_SENDING_LEASE_S=str(LEASE_S),
    )


def test_an_email_whose_worker_was_killed_mid_send_goes_out_once_after_a_restart(
    transactional_db: None,
    tmp_path: Path,
    postmark: str,
    enqueue_for_real: None,
    shop: Any,
    enable: Any,
) -> None:
    enable(shop)
    first = _worker(tmp_path, "first", postmark)
    try:
        services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
        assert SlowPostmark.first_request.wait(timeout=30), first.output()
        first.process.kill()  # SIGKILL: no warm shutdown, no chance to record anything
        first.process.wait()
    finally:
        first.stop()
    email = Email.objects.get()
    assert email.status == Email.Status.SENDING

    second = _worker(tmp_path, "second", postmark)
    try:
        time.sleep(LEASE_S + 0.5)  # the dead worker's lease runs out
        requeue_stalled_emails.delay()  # what beat runs every few minutes
        second.wait_for(lambda: Email.objects.filter(status=Email.Status.SENT).exists())
    finally:
        assert second.stop() == 0
    assert SlowPostmark.accepted == [shop.owner_email]
    attempts = list(DeliveryAttempt.objects.order_by("number").values_list("outcome", "error"))
    assert [outcome for outcome, _ in attempts] == [
        DeliveryAttempt.Outcome.RETRY,
        DeliveryAttempt.Outcome.SENT,
    ]
    assert "The worker stopped during this attempt" in attempts[0][1]

"""A webhook runs end to end on a real `celery worker` process over the Redis broker.

The app answers the delivery and enqueues `process_webhook` on Redis after commit; the worker,
pointed at this test's PostgreSQL database, picks it up and applies it.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from salestio.models import Shop, WebhookEvent
from tests.shopify_webhooks import deliver

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
DEADLINE = 30.0


def database_url_of_this_test() -> str:
    """The database this test runs on (pytest-django's test_<name>), as a DATABASE_URL."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if condition():
                return
            assert self.process.poll() is None, f"the worker died:\n{self.output()}"
            time.sleep(0.2)
        pytest.fail(f"not done within {DEADLINE}s:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM is Celery's warm shutdown: finish the task in hand, then exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"the worker ignored SIGTERM:\n{self.output()}")
        return self.process.returncode


def start_worker(log_path: Path, **env: str) -> Worker:
    """A real `celery worker` on this test's database; `env` overrides (another REDIS_URL)."""
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "INFO",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "salestio",
        "worker",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"test-{os.getpid()}-{log_path.stem}@%h",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    return Worker(process, log_path)


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[Worker]:
    running = start_worker(tmp_path / "worker.log")
    yield running
    running.stop()  # before pytest-django flushes (and later drops) the database


def test_the_worker_applies_a_shop_update_webhook(
    worker: Worker,
    enqueue_for_real: None,
    client: Any,
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop()
    assert deliver(client, "shop/update", event_id="evt-worker").status_code == 200

    def processed() -> bool:
        return WebhookEvent.objects.filter(
            event_id="evt-worker", status=WebhookEvent.Status.PROCESSED
        ).exists()

    worker.wait_for(processed)
    shop.refresh_from_db()
    assert (shop.name, shop.owner_email, shop.currency) == (
        "Super Toys",
        "super@supertoys.com",
        "USD",
    )
    assert re.search(r"Task salestio\.tasks\.process_webhook\[\S+\] succeeded", worker.output())
    assert worker.stop() == 0

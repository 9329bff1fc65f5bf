"""The one real `celery worker` for the tests that test the worker: a process over the Redis
broker, pointed at this test's PostgreSQL database, its log in a file (fixture: real_worker)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from salestio.celery import app as celery_app

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

    def kill(self) -> None:
        """SIGKILL: the task in hand is cut wherever it is, nothing recorded, nothing acked."""
        self.process.kill()
        self.process.wait()

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


def start_worker(log_path: Path, *, pool: str = "solo", **env: str) -> Worker:
    """A worker on this test's database; `env` overrides its environment (another REDIS_URL,
    time limits). The prefork pool (concurrency 1) is the one that enforces time limits; the
    solo pool starts faster. The log is appended to, so a restarted worker keeps one file."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "INFO",
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "salestio", "worker", "--pool", pool]
    command += ["--concurrency", "1", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat", "--hostname", f"test-{os.getpid()}-{log_path.stem}@%h"]
    command += ["--loglevel", "INFO"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    return Worker(process, log_path)


@contextmanager
def publishing_tasks() -> Iterator[None]:
    """Tests run tasks eagerly; a real-worker test has the app publish them to the broker, for
    the whole test (enqueue_for_real) or from where its worker takes over from the setup."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous

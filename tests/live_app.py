"""The app as deployed: gunicorn (or the demo's runserver) in a subprocess on a loopback port,
with its own database URL, for tests that need real concurrency and the real access log."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from tests.network import closed_port

STARTUP_DEADLINE = 60.0


@dataclass
class LiveApp:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def output_once(self, text: str, deadline: float = 20.0) -> str:
        """The log once `text` is in it: the server writes a request's line after answering."""
        until = time.monotonic() + deadline
        while text not in (output := self.output()) and time.monotonic() < until:
            time.sleep(0.1)
        return output


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )


def gunicorn_command(port: int) -> list[str]:
    """Production's command (Dockerfile), threaded so one shop's requests really overlap; the
    access log and its redaction come from gunicorn.conf.py in the working directory."""
    return [sys.executable, "-m", "gunicorn", "salestio.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "12", "--worker-class", "gthread"]  # fmt: skip


def runserver_command(port: int) -> list[str]:
    """The demo's web server (rundemo)."""
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


@contextmanager
def live_app(tmp_path: Path, env: dict[str, str], *, runserver: bool = False) -> Iterator[LiveApp]:
    port = closed_port()
    command = runserver_command(port) if runserver else gunicorn_command(port)
    full_env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "1", "LOG_LEVEL": "INFO", **env}
    log_path = tmp_path / f"web-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    app = LiveApp(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_up(app)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(app: LiveApp) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        assert app.process.poll() is None, f"the web server exited:\n{app.output()}"
        try:
            requests.get(f"{app.url}/auth/patch-id-token", timeout=5)
            return
        # A busy machine may accept the connection and answer late: a read timeout too.
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"the web server did not start:\n{app.output()}")

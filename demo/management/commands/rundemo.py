"""`make demo`: migrate, start the sandbox, seed the demo shop, then run the web app and one
Celery worker with the embedded beat until Ctrl-C (or SIGTERM), which stops them all.

No server is needed: SQLite, kombu's filesystem broker (REDIS_URL unset), emails on the
console, and `python -m sandbox` standing in for Shopify, Amazon, eBay and Etsy on loopback.
Ports: DEMO_WEB_PORT (8000) and DEMO_SANDBOX_PORT (8001).
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo.management.commands.seed_demo import sandbox_url
from demo.seeding import DEMO_SHOP
from demo.wiring import sandbox_environment, shopify_environment
from salestio.middleware import demo_enabled

# One worker for the demo, with the scheduler (beat) embedded: one process less to watch.
WORKER = ("-m", "celery", "-A", "salestio", "worker", "-B", "--concurrency", "2", "-l", "INFO")
STARTUP_DEADLINE = 60.0
STOP_DEADLINE = 15.0


def web_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('DEMO_WEB_PORT', '8000')}"


def demo_environment() -> dict[str, str]:
    """The children's environment: the app and the sandbox pointed at each other."""
    sandbox = sandbox_url()
    return {
        **os.environ,
        "DEBUG": "1",
        "DEMO_MODE": "1",
        "PYTHONUNBUFFERED": "1",
        # demo.notifications sends every category once; the console shows them.
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        **shopify_environment(sandbox, web_url()),
        **sandbox_environment(sandbox),
    }


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Children:
    """The demo's processes, each in its own session so that one signal from us stops it."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        self.running[name] = subprocess.Popen(
            [sys.executable, *args], cwd=settings.BASE_DIR, env=self.env, start_new_session=True
        )

    def run(self, name: str, *args: str) -> None:
        """A step that must finish first, in the same environment as the others."""
        result = subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=self.env)
        if result.returncode:
            raise CommandError(f"{name} failed with status {result.returncode}")

    def check(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise CommandError(f"{name} exited with status {process.returncode}")

    def wait_until_answers(self, url: str) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            self.check()
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise CommandError(f"{url} did not answer within {STARTUP_DEADLINE:.0f}s")

    def stop(self) -> None:
        """SIGTERM to each (Celery finishes its task in hand), SIGKILL to what outlives it."""
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_DEADLINE
        for process in self.running.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the session holds its pool children
                process.wait()


class Command(BaseCommand):
    help = "Run the whole demo (sandbox, web, worker with beat) until Ctrl-C."

    def handle(self, *args: object, **options: Any) -> None:
        if not demo_enabled():
            raise CommandError("rundemo needs DEBUG=1 DEMO_MODE=1; run it with `make demo`")
        call_command("migrate", interactive=False, verbosity=0)
        _allow_concurrent_sqlite_writers()
        children = Children(demo_environment())
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            self._run(children)
        except KeyboardInterrupt:
            self.stdout.write("\nstopping the demo…")
        finally:
            children.stop()

    def _run(self, children: Children) -> None:
        sandbox = sandbox_url()
        children.start("sandbox", "-m", "sandbox", "--port", str(urlsplit(sandbox).port))
        children.wait_until_answers(f"{sandbox}/shopify/cdn/app-bridge.js")
        # Its own process: the seeded emails' links come from the demo's environment.
        children.run("seed_demo", "manage.py", "seed_demo", "--sandbox-url", sandbox)
        children.start(
            "web", "manage.py", "runserver", web_url().removeprefix("http://"), "--noreload"
        )
        children.start("worker", *WORKER)
        children.wait_until_answers(f"{web_url()}/healthz")
        self._announce(sandbox)
        while True:
            children.check()
            time.sleep(0.5)

    def _announce(self, sandbox: str) -> None:
        handle = DEMO_SHOP.removesuffix(".myshopify.com")
        self.stdout.write(self.style.SUCCESS("\nThe Salestio demo is running.\n"))
        self.stdout.write(f"  Standalone demo:             {web_url()}/demo/login")
        self.stdout.write(
            f"  In the Shopify admin (sim.): {sandbox}/store/{handle}/apps/"
            f"{settings.SHOPIFY_API_KEY}"
        )
        self.stdout.write(f"  Sandbox simulators:          {sandbox}")
        self.stdout.write("  Emails are printed below. Ctrl-C stops everything.\n")
        self.stdout.flush()  # stdout may be a pipe (`make demo | tee`), block-buffered


def _allow_concurrent_sqlite_writers() -> None:
    """Web, worker and beat share one SQLite file; WAL lets readers run beside the writer
    instead of failing with "database is locked". The mode is stored in the file itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")

"""`make demo`'s command end to end: the processes start, the printed URLs answer, and SIGTERM
stops every one of them. It runs on free ports with its own SQLite file and broker folder, in
the demo's environment (no test settings leak into it)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.settings_surface import ROOT

DEADLINE = 90.0
READY = "The Salestio demo is running."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    log_path: Path
    ports: tuple[int, int]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + DEADLINE
        while READY not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"not ready in {DEADLINE}s:\n{self.output()}"
            time.sleep(0.5)

    def url(self, label: str) -> str:
        found = re.search(rf"{label}:\s+(\S+)", self.output())
        assert found, self.output()
        return found.group(1)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    web, sandbox = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "DEMO_MODE": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_DATA_DIR": str(tmp_path / "broker"),
        "DEMO_WEB_PORT": str(web),
        "DEMO_SANDBOX_PORT": str(sandbox),
    }
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    yield Demo(process, log_path, (web, sandbox))
    if process.poll() is None:  # the test failed before stopping it
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_make_demo_serves_both_urls_and_stops_everything_on_sigterm(demo: Demo) -> None:
    demo.wait_until_ready()
    with urllib.request.urlopen(demo.url("Standalone demo"), timeout=10) as page:
        assert "Demo Shop" in page.read().decode()
    with urllib.request.urlopen(demo.url(r"In the Shopify admin \(sim\.\)"), timeout=10) as admin:
        assert admin.status == 200

    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(timeout=30) == 0, demo.output()
    assert not any(answers(port) for port in demo.ports)

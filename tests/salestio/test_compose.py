"""docker-compose.yml as Docker Compose itself reads it (Debian's docker-compose; no engine).

The deployment is configured the way the README says: `.env.example` copied to `.env` with the
required secrets filled in. The project directory is a temporary folder holding that `.env`, so
a developer's own .env never leaks into the test.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.settings_surface import ROOT, environment_surface

COMPOSE = shutil.which("docker-compose")
# Filled into .env for the test: every `NAME=` line .env.example leaves empty.
FILLED = "filled-by-test"
WORKERS = {"worker-notify": "notify", "worker-checks": "checks", "worker-sync": "sync"}
APP_SERVICES = ["web", *WORKERS, "beat"]

pytestmark = pytest.mark.skipif(
    COMPOSE is None and os.environ.get("REQUIRE_SERVICES") != "1",
    reason="docker-compose is not installed (apt-get install docker-compose)",
)


def example_env(*, filled: bool) -> str:
    text = (ROOT / ".env.example").read_text()
    return re.sub(r"^(\w+)=$", rf"\1={FILLED}", text, flags=re.M) if filled else text


def compose(tmp_path: Path, env_text: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE, "REQUIRE_SERVICES=1 but docker-compose is not installed"
    tmp_path.joinpath(".env").write_text(env_text)
    command = [
        COMPOSE,
        "-f",
        str(ROOT / "docker-compose.yml"),
        "--project-directory",
        str(tmp_path),
        *args,
    ]
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=clean)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rendered = compose(tmp_path_factory.mktemp("compose"), example_env(filled=True), "config")
    assert rendered.returncode == 0, rendered.stderr
    return dict(yaml.safe_load(rendered.stdout)["services"])


def test_compose_validates_the_documented_configuration(tmp_path: Path) -> None:
    result = compose(tmp_path, example_env(filled=True), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    result = compose(tmp_path, example_env(filled=False), "config", "-q")
    assert result.returncode != 0
    assert "set SECRET_KEY in .env" in result.stderr


def test_every_service_is_there_with_a_healthcheck(services: dict[str, Any]) -> None:
    for name in ["web", *WORKERS, "beat", "postgres", "redis", "mailpit"]:
        assert name in services, name
        assert services[name]["healthcheck"]["test"], name
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


def test_web_runs_gunicorn_and_is_checked_on_healthz(services: dict[str, Any]) -> None:
    assert services["web"]["command"][:2] == ["gunicorn", "salestio.wsgi"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_one_worker_service_per_queue_and_beat_run_celery(services: dict[str, Any]) -> None:
    for name, queue in WORKERS.items():
        command = services[name]["command"]
        assert command[:4] == ["celery", "-A", "salestio", "worker"], name
        assert command[command.index("-Q") + 1] == queue, name
    assert services["beat"]["command"][:4] == ["celery", "-A", "salestio", "beat"]


def test_the_app_runs_on_postgres_and_redis_of_the_deployment(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://salestio:"), name
        assert env["DATABASE_URL"].endswith("@postgres:5432/salestio"), name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name
        assert env["DEBUG"] == "0", name
        assert {"postgres", "redis", "release"} <= set(services[name]["depends_on"]), name


def test_every_secret_production_requires_reaches_the_app(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = services[name]["environment"]
        missing = [key for key in environment_surface().required if env.get(key) != FILLED]
        assert not missing, (name, missing)

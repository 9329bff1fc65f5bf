"""Shared fixtures. The test deployment's environment is in tests/env_defaults.py."""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest

if TYPE_CHECKING:  # imported for real inside the fixtures, once Django is set up
    from django.test import Client

    from salestio.models import Shop
    from sandbox.server import SandboxServer

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
# Fixtures an app's tests share with the browser tests in tests/e2e.
pytest_plugins = ["tests.listings.fixtures"]
CHROMIUM = Path("/usr/bin/chromium")


def _service_missing() -> dict[str, str | None]:
    has_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    has_redis = bool(os.environ.get("TEST_REDIS_URL"))
    return {
        # salestio.test_env sets each URL when its service answers, unless it is set already.
        "postgres": None
        if has_postgres
        else "needs PostgreSQL: DATABASE_URL is not postgres:// (none on 127.0.0.1:5432, "
        "or this run chose another database)",
        "redis": None if has_redis else "needs Redis: TEST_REDIS_URL unset (none on :6379)",
        "browser": None if CHROMIUM.exists() else "Debian's chromium is not at /usr/bin/chromium",
    }


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, reason in _service_missing().items():
        if reason and item.get_closest_marker(marker):
            if REQUIRED or os.environ.get(f"REQUIRE_{marker.upper()}") == "1":
                pytest.fail(f"required service missing: {reason}")
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_shop_id_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process: knowing no shop's id, so a shop's first page costs
    its shop read on its own and the next ones don't (salestio.services, page_reads)."""
    from salestio import services

    monkeypatch.setattr(services, "_KNOWN_IDS", {})


@pytest.fixture
def make_shop(db: None) -> Callable[..., "Shop"]:
    from salestio.models import Shop

    def make(domain: str = "shop-a.myshopify.com", **fields: Any) -> "Shop":
        defaults = {
            "access_token": "shpat_test",
            "name": domain.split(".")[0].title(),
            "owner_email": f"owner@{domain}",
            "currency": "EUR",
        }
        return Shop.objects.create(domain=domain, **{**defaults, **fields})

    return make


@pytest.fixture
def shop(make_shop: Callable[..., "Shop"]) -> "Shop":
    return make_shop()


def session_token(domain: str, *, secret: str | None = None, **claims: Any) -> str:
    """A session token as App Bridge would send it (HS256 with the app secret)."""
    now = int(time.time())
    payload = {
        "iss": f"https://{domain}/admin",
        "dest": f"https://{domain}",
        "aud": os.environ["SHOPIFY_API_KEY"],
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now,
        "jti": f"jti-{now}",
        "sid": "sid-1",
        **claims,
    }
    return jwt.encode(payload, secret or os.environ["SHOPIFY_API_SECRET"], algorithm="HS256")


@pytest.fixture
def shop_client(client: "Client") -> Callable[["Shop"], "Client"]:
    """A Django test client whose every request carries the shop's session token."""

    def for_shop(shop: "Shop") -> "Client":
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {session_token(shop.domain)}"
        return client

    return for_shop


@pytest.fixture
def sandbox(settings: Any) -> Iterator["SandboxServer"]:
    """The sandbox simulators on a loopback port, with the app's settings pointed at them."""
    from sandbox.server import SandboxConfig, SandboxServer

    config = SandboxConfig(
        shopify_api_key=settings.SHOPIFY_API_KEY, shopify_api_secret=settings.SHOPIFY_API_SECRET
    )
    with SandboxServer(config) as server:
        settings.SHOPIFY_SHOP_ORIGIN = f"{server.url}/shopify/{{shop}}"
        from demo.wiring import sandbox_settings

        for name, value in sandbox_settings(server.url).items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def specs_dir() -> Path:
    """The vendored vendor specs (sandbox/specs/README.md says where each comes from)."""
    from sandbox.specs import SPECS_DIR

    return SPECS_DIR


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The cache (Redis in CI) outlives a test; no test may see another's entries."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def real_worker(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start a real `celery worker` (tests/worker.py: start_worker's pool and environment); each
    one started is stopped before pytest-django flushes (and later drops) the database."""
    from tests.worker import Worker, start_worker

    started: list[Worker] = []

    def start(**options: str) -> Worker:
        started.append(start_worker(tmp_path / f"worker-{len(started)}.log", **options))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def enqueue_for_real() -> Iterator[None]:
    """The whole test publishes its tasks to the broker (tests/worker.py: publishing_tasks)."""
    from tests.worker import publishing_tasks

    with publishing_tasks():
        yield

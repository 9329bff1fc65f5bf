"""Concurrent first loads of one new shop, over real HTTP to gunicorn, on both databases: one
token exchange, one shop row, no error (issue 8: 12 × 500 "database is locked" and 16
exchanges before). Then one merchant's burst of page loads and settings posts on SQLite."""

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from notifications.models import Category
from salestio.models import Shop
from salestio.shopify_api import TOKEN_EXCHANGE_GRANT
from tests.concurrency import run_at_once
from tests.live_app import LiveApp, live_app, migrate
from tests.worker import database_url_of_this_test

SHOP = "brand-new-shop.myshopify.com"
FIRST_LOADS = 20
ORDER = str(Category.ORDER_IMPORT_FAILED)


def _env(sandbox: Any, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SHOPIFY_SHOP_ORIGIN": f"{sandbox.url}/shopify/{{shop}}",
        "REDIS_URL": "",
        "CELERY_DATA_DIR": "",
    }


@pytest.fixture
def sqlite_app(tmp_path: Path, sandbox: Any) -> Iterator[tuple[LiveApp, Path]]:
    db_file = tmp_path / "embedded.sqlite3"
    env = {**_env(sandbox, f"sqlite:///{db_file}"), "CELERY_DATA_DIR": str(tmp_path / "broker")}
    migrate({**os.environ, **env})
    with live_app(tmp_path, env) as app:
        yield app, db_file


@pytest.fixture
def postgres_app(transactional_db: None, tmp_path: Path, sandbox: Any) -> Iterator[LiveApp]:
    env = {**_env(sandbox, database_url_of_this_test()), "CELERY_DATA_DIR": str(tmp_path)}
    with live_app(tmp_path, env) as app:
        yield app


def _first_loads(app: LiveApp, sandbox: Any) -> list[int]:
    shopify = sandbox.sandbox["/shopify"]

    def load() -> int:
        token = shopify.session_token(SHOP)
        response = requests.get(app.url, params={"id_token": token, "shop": SHOP}, timeout=60)
        return response.status_code

    statuses, errors = run_at_once(load, threads=FIRST_LOADS)
    assert errors == []
    return statuses


def _assert_one_install(app: LiveApp, sandbox: Any, statuses: list[int]) -> None:
    assert statuses == [200] * FIRST_LOADS, app.output()
    assert sandbox.sandbox["/shopify"].shop(SHOP).grants == [TOKEN_EXCHANGE_GRANT]
    # The session tokens were in every request line; none may reach the access log.
    assert "id_token=[redacted]" in app.output_once("id_token=[redacted]")
    assert "id_token=ey" not in app.output()


def test_concurrent_first_loads_on_sqlite_install_the_shop_once(
    sqlite_app: tuple[LiveApp, Path], sandbox: Any
) -> None:
    app, db_file = sqlite_app
    statuses = _first_loads(app, sandbox)
    _assert_one_install(app, sandbox, statuses)
    with sqlite3.connect(db_file) as db:
        rows = db.execute("SELECT count(*) FROM salestio_shop WHERE domain = ?", [SHOP])
        assert rows.fetchone()[0] == 1


@pytest.mark.postgres
def test_concurrent_first_loads_on_postgres_install_the_shop_once(
    postgres_app: LiveApp, sandbox: Any
) -> None:
    statuses = _first_loads(postgres_app, sandbox)
    _assert_one_install(postgres_app, sandbox, statuses)
    assert Shop.objects.filter(domain=SHOP).count() == 1


def test_one_merchants_burst_of_loads_and_posts_on_sqlite_has_no_error(
    sqlite_app: tuple[LiveApp, Path], sandbox: Any
) -> None:
    """50 at once: dashboard loads, settings loads and settings saves (each a write)."""
    app, _ = sqlite_app
    shopify = sandbox.sandbox["/shopify"]
    install = requests.get(app.url, params={"id_token": shopify.session_token(SHOP)}, timeout=60)
    assert install.status_code == 200, app.output()
    requests_made = iter(range(50))

    def one() -> int:
        n = next(requests_made)
        headers = {"Authorization": f"Bearer {shopify.session_token(SHOP)}"}
        if n % 3 == 0:
            return requests.get(app.url, headers=headers, timeout=60).status_code
        form = {"language": "de" if n % 2 else "en", "use_shop_email": "on", ORDER: "on"}
        url = f"{app.url}/settings/"
        return requests.post(url, data=form, headers=headers, timeout=60, allow_redirects=False)\
            .status_code  # fmt: skip

    statuses, errors = run_at_once(one, threads=50)
    assert errors == []
    assert sorted(set(statuses)) == [200, 302], app.output()

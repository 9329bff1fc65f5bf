"""Flash messages of embedded pages live in the cache (Redis), under the shop and admin user
(salestio.messages): a page without one costs a single read of it, and a message is shown once."""

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from django.conf import settings

from salestio.models import Shop

pytestmark = [pytest.mark.redis]


@contextmanager
def commands_on(fragment: str) -> Iterator[list[str]]:
    """The commands Redis runs on keys containing `fragment` meanwhile, as MONITOR reports them."""
    seen: list[str] = []
    server = redis.Redis.from_url(settings.REDIS_URL)
    sentinel, ready = f"monitor-done-{uuid.uuid4().hex}", threading.Event()

    def watch() -> None:
        with server.monitor() as monitor:
            ready.set()
            for entry in monitor.listen():
                command = entry["command"]
                if sentinel in command:
                    return
                if fragment in command:
                    seen.append(command.split()[0].upper())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert ready.wait(5)
    try:
        yield seen
    finally:
        server.get(sentinel)
        watcher.join(5)
    assert not watcher.is_alive(), "MONITOR did not see the end of the watch"


def test_a_page_without_a_flash_message_reads_the_cache_once_and_writes_nothing(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    client = shop_client(shop)
    with commands_on(f"messages:{shop.domain}") as seen:
        assert client.get("/").status_code == 200

    assert seen == ["GET"]


def test_a_flash_message_is_shown_on_the_next_page_once_and_then_removed(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    client = shop_client(shop)
    with commands_on(f"messages:{shop.domain}") as set_locale:
        assert client.post("/locale", {"language": "de"}).status_code == 302
    with commands_on(f"messages:{shop.domain}") as shown:
        first = client.get("/").content.decode()
    with commands_on(f"messages:{shop.domain}") as after:
        second = client.get("/").content.decode()

    assert "Sprache auf Deutsch umgestellt." in first
    assert "Sprache auf Deutsch umgestellt." not in second
    assert set_locale[-1] == "SET"
    assert shown == ["GET", "DEL"]
    assert after == ["GET"]


def test_a_standalone_page_keeps_its_flash_message_in_django_s_storage(
    shop: Shop, client: Any, settings: Any
) -> None:
    """The demo's pages (Django session, no session token) use the cookie and session storage."""
    settings.DEBUG, settings.DEMO_MODE = True, True
    session = client.session
    session["demo_shop_id"] = shop.pk
    session.save()

    with commands_on(f"messages:{shop.domain}") as seen:
        assert client.post("/locale", {"language": "de"}).status_code == 302
        first = client.get("/").content.decode()
        second = client.get("/").content.decode()

    assert "Sprache auf Deutsch umgestellt." in first
    assert "Sprache auf Deutsch umgestellt." not in second
    assert seen == []

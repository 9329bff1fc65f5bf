"""Every log line written for a shop, in a request or in a task, names the shop.

The lines are read from the stdout handler that settings.LOGGING configures, so its filter and
format are the ones under test.
"""

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from salestio.logging import ShopContextFilter
from salestio.models import Shop
from tests.conftest import session_token
from tests.shopify_webhooks import deliver

log = logging.getLogger("salestio.tests")


def logging_view(request: HttpRequest) -> HttpResponse:
    log.info("handling the shop's request")
    return HttpResponse("ok")


# This module is also the URLconf of the request test: the app's URLs plus one view that logs.
urlpatterns = [path("log-something", logging_view), path("", include("salestio.urls"))]


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    caplog.set_level(logging.INFO)  # the test deployment logs WARNING and up only
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ShopContextFilter) for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    stdout = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(stdout)


@pytest.mark.urls(__name__)
def test_a_line_logged_in_a_shops_request_names_the_shop(
    shop: Shop, shop_client: Callable[[Shop], Any], log_lines: Callable[[], list[str]]
) -> None:
    assert shop_client(shop).get("/log-something").status_code == 200
    [line] = [line for line in log_lines() if "handling the shop's request" in line]
    assert " shop=shop-a.myshopify.com " in line


def test_a_line_logged_in_a_shops_task_names_the_shop(
    shop: Shop,
    client: Any,
    django_capture_on_commit_callbacks: Any,
    log_lines: Callable[[], list[str]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, "app/uninstalled")  # the task logs "shop uninstalled"
    [line] = [line for line in log_lines() if "shop uninstalled" in line]
    assert " shop=shop-a.myshopify.com " in line


def test_a_line_outside_any_shop_says_so(log_lines: Callable[[], list[str]]) -> None:
    log.info("no shop here")
    [line] = [line for line in log_lines() if "no shop here" in line]
    assert " shop=- " in line


def test_no_token_reaches_a_line(log_lines: Callable[[], list[str]]) -> None:
    token = session_token("shop-a.myshopify.com")
    log.warning(
        "redirect to %s with Authorization: Bearer %s",
        f"https://app.example/?shop=a&id_token={token}&code=abc123",
        token,
    )
    [line] = [line for line in log_lines() if "redirect to" in line]
    assert token not in line and "abc123" not in line
    assert "id_token=[redacted]" in line and "Bearer [redacted]" in line and "shop=a" in line

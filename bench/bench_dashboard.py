"""The dashboard of a busy shop (10,000 notifications, 1,000 accounts each with a banner and a
SKU mapping, 10,000 listings, 10,000 orders): a whole request through the WSGI handler, the
middleware and the view, against the bare template rendered with the same context in the same
run (the floor).
Prints the ratio and the request's queries. Runs in a throwaway database, bench_dashboard_<name>.
"""

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.database import throwaway_database

NOTIFICATIONS = int(os.environ.get("BENCH_DASHBOARD_NOTIFICATIONS", "10000"))
ACCOUNTS = int(os.environ.get("BENCH_DASHBOARD_ACCOUNTS", "1000"))
LISTINGS = int(os.environ.get("BENCH_DASHBOARD_LISTINGS", "10000"))
ORDERS = int(os.environ.get("BENCH_DASHBOARD_ORDERS", "10000"))
ROUNDS = int(os.environ.get("BENCH_DASHBOARD_ROUNDS", "200"))


def main() -> None:
    os.environ.setdefault("SHOPIFY_API_KEY", "bench-api-key")
    os.environ.setdefault("SHOPIFY_API_SECRET", "bench-api-secret")
    with throwaway_database("bench_dashboard") as connection:
        _run(connection)


def busy_shop() -> Any:
    from bench.shop_data import populate
    from salestio.models import Shop

    shop = Shop.objects.create(
        domain="busy.myshopify.com",
        name="Busy",
        owner_email="owner@busy.example",
        access_token="shpat_bench",
        currency="EUR",
    )
    populate(shop, accounts=ACCOUNTS, notifications=NOTIFICATIONS, listings=LISTINGS, orders=ORDERS)
    return shop


def _run(connection: Any) -> None:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)  # the test client's response.context is recorded
    settings.ALLOWED_HOSTS = ["*"]
    shop = busy_shop()
    analyze(connection)
    token = session_token(shop.domain)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/")
    assert response.status_code == 200, response.status_code
    bare_render = _bare_render(response)
    # Timed as a WSGI server calls the app, without the test environment's instrumentation
    # (each template's context copied for response.context), for the page and its floor alike.
    teardown_test_environment()
    # As production serves it: teardown restored DEBUG=1 (bench/database.py sets it for the
    # development fallbacks of secrets), which would log every query of the request.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    get_page = _wsgi_get("/", token)
    assert shop.name.encode() in get_page()  # warm-up: first-request lookups
    queries = _QueryCounter()
    with connection.execute_wrapper(queries):
        get_page()
    request, bare = _medians(get_page, bare_render)
    print(
        f"bench_dashboard: {NOTIFICATIONS:,} notifications, {ACCOUNTS:,} accounts and banners, "
        f"{LISTINGS:,} listings, {ORDERS:,} orders ({connection.vendor})"
    )
    print(f"  dashboard request: {request * 1000:7.2f} ms  {queries.count} queries")
    print(f"  bare template:     {bare * 1000:7.2f} ms  (the floor)")
    print(f"RESULT dashboard ratio={request / bare:.2f} queries={queries.count}")


def _wsgi_get(path: str, token: str) -> Callable[[], bytes]:
    """A GET of `path` with App Bridge's bearer token, through the app's WSGI handler (as
    gunicorn calls it: request_started/finished and their connection checks included);
    answers the body of a 200."""
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None  # the write() callable of PEP 3333, unused by Django

    def get() -> bytes:
        body = app({**environ, "wsgi.input": io.BytesIO(b"")}, start_response)
        try:
            content = b"".join(body)
        finally:
            body.close()  # type: ignore[attr-defined]  # request_finished, as servers do
        assert statuses.pop().startswith("200"), content[:200]
        return content

    return get


def analyze(connection: Any) -> None:
    """Statistics, as autovacuum gathers them soon after a table grows by thousands of rows:
    without them PostgreSQL takes the new tables for empty and sorts the shop's banners
    instead of reading them in order from their index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _bare_render(response: Any) -> Callable[[], object]:
    """The template alone, with the context and request the view gave it (no middleware, no
    queries: every list in the context is already read)."""
    from django.template.loader import get_template

    template = get_template("salestio/dashboard.html")
    context = response.context[0].flatten()  # the dashboard's own, before its includes'
    request = response.wsgi_request
    return lambda: template.render(context, request)


def session_token(domain: str) -> str:
    """A session token as App Bridge sends it (HS256 with the app secret)."""
    import jwt
    from django.conf import settings

    now = int(time.time())
    payload = {
        "iss": f"https://{domain}/admin",
        "dest": f"https://{domain}",
        "aud": settings.SHOPIFY_API_KEY,
        "sub": "42",
        "exp": now + 60,  # a session token lives a minute (SESSION_TOKEN_MAX_LIFETIME_S)
        "nbf": now - 1,
        "iat": now,
        "jti": f"bench-{now}",
        "sid": "bench",
    }
    return jwt.encode(payload, settings.SHOPIFY_API_SECRET, algorithm="HS256")


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def _medians(*works: Callable[[], object]) -> list[float]:
    """Each work's median time over ROUNDS rounds, the works taking turns within a round: a
    busy spell of the shared machine slows the page and its floor alike, instead of whichever
    one was being timed then."""
    timings: list[list[float]] = [[] for _ in works]
    for _ in range(ROUNDS):
        for work, times in zip(works, timings, strict=True):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in timings]


if __name__ == "__main__":
    main()

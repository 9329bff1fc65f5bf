"""The busy shop's dashboard (bench_dashboard's shop) in Chromium through a live server: the
Largest Contentful Paint the browser reports (PerformanceObserver), median of a few loads.
Shopify's CDN scripts are blocked, as in the browser tests: the page must paint without them.
"""

import os
import statistics
from typing import Any

from bench.bench_dashboard import busy_shop, session_token
from bench.database import throwaway_database

LOADS = int(os.environ.get("BENCH_DASHBOARD_LCP_LOADS", "5"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
# Resolves with the last LCP candidate once the page has loaded (buffered: entries before the
# observer was made count too).
LCP_SCRIPT = """
() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
})
"""


def main() -> None:
    os.environ.setdefault("SHOPIFY_API_KEY", "bench-api-key")
    os.environ.setdefault("SHOPIFY_API_SECRET", "bench-api-secret")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, this thread
    with throwaway_database("bench_dashboard_lcp") as connection:
        _run(connection)


def _run(connection: Any) -> None:
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    settings.ALLOWED_HOSTS = ["*"]
    shop = busy_shop()
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={}, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        url = f"http://127.0.0.1:{server.port}/"
        timings = _measure(url, session_token(shop.domain))
    finally:
        server.terminate()
    print(f"bench_dashboard_lcp: {url} in Chromium, {LOADS} loads ({connection.vendor})")
    print(f"  LCP per load (ms): {', '.join(f'{t:.0f}' for t in timings)}")
    print(f"RESULT dashboard_lcp ms={statistics.median(timings):.0f}")


def _measure(url: str, token: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        context.route("https://cdn.shopify.com/**", lambda route: route.abort())
        page = context.new_page()
        page.goto(url)  # warm-up: the server's first request, the browser's cache of statics
        for _ in range(LOADS):
            response = page.goto(url, wait_until="load")
            assert response is not None, url
            assert response.status == 200, (response.status, response.text()[:300])
            timings.append(float(page.evaluate(LCP_SCRIPT)))
        browser.close()
    return timings


if __name__ == "__main__":
    main()

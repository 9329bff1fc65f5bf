"""No session or bearer token in any log line: the demo's web server (runserver) and the app's
own logging (gunicorn's access log: test_concurrent_install.py)."""

import io
import logging
from pathlib import Path

import requests

from salestio.logging import ShopContextFilter
from tests.conftest import session_token
from tests.live_app import live_app

TOKEN = session_token("shop-a.myshopify.com")


def test_the_demo_servers_request_lines_carry_no_session_token(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    with live_app(tmp_path, env, runserver=True) as app:
        url = f"{app.url}/auth/patch-id-token"
        assert requests.get(url, params={"id_token": TOKEN}, timeout=10).status_code == 200
        output = app.output()
    assert "/auth/patch-id-token?id_token=[redacted]" in output
    assert TOKEN not in output


def test_the_apps_own_lines_carry_no_token() -> None:
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ShopContextFilter) for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    stdout = handler.setStream(buffer)
    try:
        logging.getLogger("salestio.tests").warning(
            "redirect to %s with Authorization: Bearer %s",
            f"https://app.example/?shop=a&id_token={TOKEN}&code=abc123",
            TOKEN,
        )
    finally:
        handler.setStream(stdout)
    line = buffer.getvalue()
    assert TOKEN not in line and "abc123" not in line
    assert "id_token=[redacted]" in line and "Bearer [redacted]" in line and "shop=a" in line

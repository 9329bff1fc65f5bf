"""No session token in the demo's web server's request lines (runserver). Gunicorn's access
log: test_concurrent_install.py; the app's own lines: test_logging.py."""

from pathlib import Path

import requests

from tests.conftest import session_token
from tests.live_app import live_app

TOKEN = session_token("shop-a.myshopify.com")


def test_the_demo_servers_request_lines_carry_no_session_token(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    with live_app(tmp_path, env, runserver=True) as app:
        url = f"{app.url}/auth/patch-id-token"
        assert requests.get(url, params={"id_token": TOKEN}, timeout=30).status_code == 200
        output = app.output_once("/auth/patch-id-token?")
    assert "/auth/patch-id-token?id_token=[redacted]" in output
    assert TOKEN not in output

"""The probes of issue 8 that answered 500, each as an HTTP request that must now get a 4xx
(or, for a webhook Shopify signed, a 200 that does not invite retries)."""

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import include, path

from notifications.urls import tracking_patterns
from salestio.models import Shop
from tests.conftest import session_token

SHOP = "shop-a.myshopify.com"
OVERFLOW = "9" * 30  # beyond PostgreSQL's bigint and SQLite's 64-bit integer

# The SendGrid test's URLconf: a deployment whose ESP is SendGrid.
urlpatterns = [path("anymail/", include((tracking_patterns("sendgrid"), "anymail")))]


def post_tracking(client: Any, esp: str, body: str) -> Any:
    """A tracking event with the right basic-auth secret."""
    token = base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    return client.post(
        f"/anymail/{esp}/tracking/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Basic {token}"},
    )


@pytest.mark.parametrize("esp", ["postal", "amazon_ses", "sendgrid", "mailgun"])
def test_the_tracking_url_of_an_esp_not_configured_is_not_mounted(client: Any, esp: str) -> None:
    response = client.post(f"/anymail/{esp}/tracking/", data="{}", content_type="text/plain")
    assert response.status_code == 404


@pytest.mark.parametrize("body", ["{not json", "[]", "null", '"text"'])
def test_a_malformed_postmark_payload_with_the_right_secret_answers_400(
    client: Any, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = post_tracking(client, "postmark", body)
    assert response.status_code == 400
    assert "malformed postmark_tracking_webhook tracking payload" in caplog.text


@pytest.mark.urls(__name__)
def test_a_sendgrid_event_with_a_timestamp_that_is_no_number_answers_400(client: Any) -> None:
    body = '[{"event": "delivered", "email": "a@example.com", "timestamp": "notanumber"}]'
    response = post_tracking(client, "sendgrid", body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/notifications/?email={OVERFLOW}", 400),
        ("/notifications/?email=²", 400),
        ("/notifications/?email=-1", 400),
        ("/notifications/?email=0", 400),
        ("/settings/?test=²", 400),
        (f"/settings/?test={OVERFLOW}", 400),
        ("/notifications/?category=%00", 400),
        ("/orders/?q=a%00b", 400),
        (f"/notifications/{OVERFLOW}/", 404),
        (f"/unsubscribe/{OVERFLOW}/account_expired/abc/", 404),
    ],
)
def test_an_id_that_is_no_id_answers_4xx(
    shop_client: Callable[[Shop], Any], shop: Shop, url: str, status: int
) -> None:
    assert shop_client(shop).get(url).status_code == status


def test_a_valid_email_filter_still_filters(shop_client: Callable[[Shop], Any], shop: Shop) -> None:
    assert shop_client(shop).get("/notifications/?email=12").status_code == 200


def _now() -> int:
    return int(time.time())


FORGED_TOKENS = {
    "http iss and dest": lambda: session_token(
        SHOP, iss=f"http://{SHOP}/admin", dest=f"http://{SHOP}"
    ),
    "http dest": lambda: session_token(SHOP, dest=f"http://{SHOP}"),
    "no scheme": lambda: session_token(SHOP, iss=f"{SHOP}/admin", dest=SHOP),
    "dest is a number": lambda: session_token(SHOP, dest=42),
    "exp a year ahead": lambda: session_token(SHOP, exp=_now() + 365 * 86400),
    "lives ten minutes": lambda: session_token(SHOP, nbf=_now() - 5, exp=_now() + 595),
    "float exp": lambda: session_token(SHOP, exp=_now() + 60.5),
    "string exp": lambda: session_token(SHOP, exp=str(_now() + 60)),
    "bool iat": lambda: session_token(SHOP, iat=True),
}


@pytest.mark.parametrize("case", FORGED_TOKENS)
def test_a_session_token_shopify_would_not_issue_is_refused(
    client: Any, shop: Shop, case: str
) -> None:
    token = FORGED_TOKENS[case]()
    response = client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_token_of_shopifys_shape_is_accepted(client: Any, shop: Shop) -> None:
    now = _now()
    token = session_token(SHOP, nbf=now - 1, exp=now + 59, iat=now - 1)
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200

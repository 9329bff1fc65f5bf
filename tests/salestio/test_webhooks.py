"""/webhooks/shopify/: verify the HMAC first, then the body, dedupe on the event id, and do
the work in the task (eager here; tests/salestio/test_worker.py runs it on a real worker)."""

import json
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse

from salestio.models import Shop, WebhookEvent
from salestio.signals import customer_redact_requested
from salestio.webhooks import HANDLERS
from tests.factories import MODEL_FACTORIES, make, model_label
from tests.shopify_webhooks import deliver, recorded, sign

Send = Callable[..., Any]
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@pytest.fixture
def send(client: Any, django_capture_on_commit_callbacks: Any) -> Send:
    """Deliver a webhook and run what it enqueued after commit (the task runs eagerly)."""

    def send_one(topic: str, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, topic, **kwargs)

    return send_one


def test_shop_update_changes_owner_email_name_and_currency(send: Send, shop: Shop) -> None:
    assert send("shop/update").status_code == 200
    shop.refresh_from_db()
    assert (shop.name, shop.owner_email, shop.currency) == (
        "Super Toys",
        "super@supertoys.com",
        "USD",
    )
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


@pytest.mark.parametrize(
    "signature",
    [
        sign(recorded("shop/update") + b" "),  # the body changed after signing
        sign(recorded("shop/update"), secret="another-apps-secret"),
        "",
    ],
    ids=["tampered-body", "other-secret", "missing"],
)
def test_bad_hmac_answers_401_and_stores_nothing(send: Send, shop: Shop, signature: str) -> None:
    assert send("shop/update", signature=signature).status_code == 401
    assert not WebhookEvent.objects.exists()
    shop.refresh_from_db()
    assert shop.name == "Shop-A"


def test_body_that_is_not_json_answers_400(send: Send, shop: Shop) -> None:
    assert send("shop/update", body=b'{"name": "Super Toys"').status_code == 400
    assert not WebhookEvent.objects.exists()


def test_unknown_topic_is_acknowledged_and_logged_but_not_stored(
    send: Send, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """A 4xx would only have Shopify retry a topic nobody handles for hours."""
    response = send("products/create", body=recorded("shop/update"))
    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()
    assert "webhook topic 'products/create' not handled" in caplog.text


@pytest.mark.parametrize("event_id", ["e" * 256, "evt\x00-1"], ids=["overlong", "nul"])
def test_an_event_id_shopify_would_not_send_answers_400(
    send: Send, shop: Shop, event_id: str
) -> None:
    assert send("shop/update", event_id=event_id).status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("value", ["2024-13-45T10:00:00Z", "2024-02-30T25:61:00Z", "yesterday"])
def test_a_malformed_triggered_at_counts_as_absent(send: Send, shop: Shop, value: str) -> None:
    body = recorded("shop/update")
    response = send("shop/update", body=body, headers={"X-Shopify-Triggered-At": value})
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.triggered_at) == (WebhookEvent.Status.PROCESSED, None)


def test_same_event_id_twice_answers_200_and_is_processed_once(send: Send, shop: Shop) -> None:
    assert send("shop/update", event_id="evt-1").status_code == 200
    Shop.objects.filter(pk=shop.pk).update(name="Renamed in between")
    assert send("shop/update", event_id="evt-1").status_code == 200
    shop.refresh_from_db()
    assert shop.name == "Renamed in between"
    assert WebhookEvent.objects.filter(event_id="evt-1").count() == 1


def test_app_uninstalled_marks_the_shop_uninstalled_and_clears_tokens(
    send: Send, make_shop: Callable[..., Shop]
) -> None:
    shop = make_shop(refresh_token="shprt_secret")
    assert send("app/uninstalled").status_code == 200
    shop.refresh_from_db()
    assert not shop.is_installed
    assert (shop.access_token, shop.refresh_token) == ("", "")
    assert not Shop.objects.installed().exists()


def test_customers_redact_asks_the_apps_to_scrub_that_customer(send: Send, shop: Shop) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: object, *, shop: Shop, customer: dict[str, Any], **_: object) -> None:
        received.append({"shop": shop.domain, **customer})

    customer_redact_requested.connect(receiver, weak=False)
    try:
        assert send("customers/redact").status_code == 200
    finally:
        customer_redact_requested.disconnect(receiver)
    assert received == [
        {"shop": shop.domain, "id": 191167, "email": "john@example.com", "phone": "555-625-1199"}
    ]


def test_webhook_for_a_shop_never_installed_is_accepted(send: Send, db: None) -> None:
    assert send("shop/redact", shop_domain="gone.myshopify.com").status_code == 200
    assert WebhookEvent.objects.get().shop is None


def test_shopify_app_toml_subscribes_exactly_the_handled_topics(settings: Any) -> None:
    config = tomllib.loads(Path(settings.BASE_DIR, "shopify.app.toml").read_text())
    subscriptions = config["webhooks"]["subscriptions"]
    topics = {
        topic
        for sub in subscriptions
        for topic in [*sub.get("topics", []), *sub.get("compliance_topics", [])]
    }
    assert topics == set(HANDLERS)
    assert {sub["uri"] for sub in subscriptions} == {reverse("shopify-webhook")}
    assert config["webhooks"]["api_version"] == settings.SHOPIFY_API_VERSION
    assert config["access_scopes"]["scopes"] == settings.SCOPES
    assert config["embedded"] is True
    assert all(url.endswith(reverse("oauth-callback")) for url in config["auth"]["redirect_urls"])


def _path_to_shop(model: type[models.Model], seen: frozenset[type[models.Model]]) -> str | None:
    """The ORM lookup from `model` to its Shop through foreign keys, e.g. "account__shop"."""
    for field in model._meta.concrete_fields:
        target = field.related_model if field.many_to_one or field.one_to_one else None
        if target is Shop:
            return field.name
        if isinstance(target, type) and target not in seen:
            rest = _path_to_shop(target, seen | {model})
            if rest:
                return f"{field.name}__{rest}"
    return None


def shop_owned_models() -> dict[str, tuple[type[models.Model], str]]:
    """Every model with a foreign-key chain to Shop: label → (model, lookup to the shop)."""
    owned = {}
    for model in apps.get_models():
        path = _path_to_shop(model, frozenset())
        if model is not Shop and path:
            owned[model_label(model)] = (model, path)
    return owned


def rows_mentioning(text: str) -> Iterator[str]:
    """Every text column, in any table, that still contains `text`, as "app.Model.field"."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            as_text = model._base_manager.annotate(_text=Cast(field.name, models.TextField()))
            if as_text.filter(_text__contains=text).exists():
                yield f"{model_label(model)}.{field.name}"


def test_every_shop_owned_model_has_a_factory(db: None) -> None:
    missing = sorted(set(shop_owned_models()) - set(MODEL_FACTORIES))
    assert not missing, f"register these models in tests/factories.py MODEL_FACTORIES: {missing}"


def test_shop_redact_leaves_no_row_of_the_shop_in_any_table(
    send: Send, make_shop: Callable[..., Shop]
) -> None:
    shop_a, shop_b = make_shop(), make_shop("shop-b.myshopify.com")
    owned = shop_owned_models()
    rows_a = {label: make(label, shop_a).pk for label in owned}
    rows_b = {label: make(label, shop_b).pk for label in owned}

    assert send("shop/redact").status_code == 200

    assert not Shop.objects.filter(pk=shop_a.pk).exists()
    for label, (model, path) in owned.items():
        assert not model._base_manager.filter(pk=rows_a[label]).exists(), label
        assert not model._base_manager.filter(**{path: shop_a.pk}).exists(), label
        assert model._base_manager.filter(pk=rows_b[label]).exists(), f"{label} of shop B"
    assert list(rows_mentioning(shop_a.domain)) == []
    assert list(rows_mentioning(shop_b.domain)) != []


def test_an_uninstall_raised_before_the_latest_install_is_ignored(send: Send, shop: Shop) -> None:
    """Shopify retries for hours; a reinstall in between must survive the late delivery."""
    raised = shop.installed_at - timedelta(minutes=5)
    assert send("app/uninstalled", triggered_at=raised).status_code == 200
    shop.refresh_from_db()
    assert shop.is_installed and shop.access_token
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.STALE


def test_the_triggered_at_header_keeps_shopifys_time(send: Send, shop: Shop) -> None:
    moment = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)
    send("shop/update", triggered_at=moment)
    assert WebhookEvent.objects.get().triggered_at == moment


def test_customer_webhooks_keep_only_the_ids_once_processed(send: Send, shop: Shop) -> None:
    send("customers/redact")
    payload = WebhookEvent.objects.get().payload
    assert set(payload["customer"]) == {"id"}
    assert "@" not in json.dumps(payload)


@pytest.mark.postgres  # SQLite does not enforce the column length that fails it
def test_a_failing_handler_leaves_the_event_failed_with_its_error(send: Send, shop: Shop) -> None:
    body = json.dumps({"name": "Shop", "email": "x" * 300 + "@example.com"}).encode()
    send("shop/update", body=body)
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "too long" in event.error  # PostgreSQL refuses the 300-character email
    shop.refresh_from_db()
    assert shop.owner_email == "owner@shop-a.myshopify.com"  # nothing half done

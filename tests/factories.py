"""Rows a shop owns, one factory per model, and the URL arguments that point at them.

Two tests walk the whole project and fail, naming what is missing, until a new app registers
here:
- the shop/redact test creates one row of every model that reaches Shop through foreign keys
  (MODEL_FACTORIES, keyed "app_label.ModelName") and checks that none survives;
- the isolation test calls every URL that takes an object id with another shop's session token
  (URL_OBJECTS, keyed by the URL name as `reverse()` takes it, e.g. "accounts:edit").

A URL entry returns the URL's keyword arguments and usually reuses a model factory through
`make()` (see the end of this file).

Rows mention the shop's domain in their text, so a redact that leaves one behind is caught by
the text scan as well as by the foreign-key walk.
"""

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from accounts.models import Account, Marketplace, OAuthState
from notifications.models import (
    Banner,
    BannerKind,
    BouncedAddress,
    Category,
    DeliveryAttempt,
    DigestWindow,
    Email,
    Notification,
    NotificationSettings,
)
from salestio.models import Shop, WebhookEvent

UrlKwargs = dict[str, Any]
ModelFactory = Callable[[Shop], models.Model]
UrlFactory = Callable[[Shop], UrlKwargs]

AnyModelFactory = TypeVar("AnyModelFactory", bound=ModelFactory)
AnyUrlFactory = TypeVar("AnyUrlFactory", bound=UrlFactory)

MODEL_FACTORIES: dict[str, ModelFactory] = {}
URL_OBJECTS: dict[str, UrlFactory] = {}
_serial = itertools.count(1)


def model_factory(label: str) -> Callable[[AnyModelFactory], AnyModelFactory]:
    def register(factory: AnyModelFactory) -> AnyModelFactory:
        MODEL_FACTORIES[label] = factory
        return factory

    return register


def url_object(*url_names: str) -> Callable[[AnyUrlFactory], AnyUrlFactory]:
    def register(factory: AnyUrlFactory) -> AnyUrlFactory:
        for name in url_names:
            URL_OBJECTS[name] = factory
        return factory

    return register


def serial() -> int:
    """A number no other factory row has used in this run."""
    return next(_serial)


def make(label: str, shop: Shop) -> models.Model:
    """One row of the model `label` owned by `shop`."""
    if label not in MODEL_FACTORIES:
        raise LookupError(f"no factory for {label}: register one in tests/factories.py")
    return MODEL_FACTORIES[label](shop)


def model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


@model_factory("salestio.WebhookEvent")
def _webhook_event(shop: Shop) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=f"evt-{next(_serial)}",
        topic="shop/update",
        shop=shop,
        payload={"myshopify_domain": shop.domain},
    )


@model_factory("notifications.Banner")
def _banner(shop: Shop) -> Banner:
    return Banner.objects.create(
        shop=shop,
        kind=BannerKind.ACCOUNT_EXPIRED,
        subject=f"account:{next(_serial)}",
        context={"account_name": f"Amazon of {shop.domain}"},
    )


@model_factory("notifications.Email")
def _email(shop: Shop) -> Email:
    return Email.objects.create(
        shop=shop,
        category=Category.ORDER_IMPORT_FAILED,
        recipient=f"owner@{shop.domain}",
        language="en",
        subject=f"Order import failed in {shop.domain}",
        status=Email.Status.SENT,
    )


@model_factory("notifications.DeliveryAttempt")
def _delivery_attempt(shop: Shop) -> DeliveryAttempt:
    email = _email(shop)
    return DeliveryAttempt.objects.create(email=email, number=1, outcome="sent")


@model_factory("notifications.Notification")
def _notification(shop: Shop) -> Notification:
    # Queued in an email: the email is RESTRICTed, so deleting the shop must take both.
    return Notification.objects.create(
        shop=shop,
        category=Category.ORDER_IMPORT_FAILED,
        key=f"order:amazon:{next(_serial)}",
        context={"error": f"variant missing in {shop.domain}"},
        status=Notification.Status.QUEUED,
        email=_email(shop),
    )


@model_factory("notifications.NotificationSettings")
def _notification_settings(shop: Shop) -> NotificationSettings:
    return NotificationSettings.objects.create(
        shop=shop, use_shop_email=False, email=f"alerts@{shop.domain}"
    )


@model_factory("notifications.BouncedAddress")
def _bounced_address(shop: Shop) -> BouncedAddress:
    return BouncedAddress.objects.create(shop=shop, address=f"bounced{next(_serial)}@{shop.domain}")


@model_factory("notifications.DigestWindow")
def _digest_window(shop: Shop) -> DigestWindow:
    return DigestWindow.objects.create(
        shop=shop, category=Category.FULFILLMENT_FAILED, digest_due_at=timezone.now()
    )


@model_factory("accounts.Account")
def _account(shop: Shop) -> Account:
    return Account.objects.create(
        shop=shop,
        marketplace=Marketplace.AMAZON,
        name=f"Amazon of {shop.domain}",
        external_id=f"A{next(_serial)}",
        refresh_token="Atzr|secret",
    )


@model_factory("accounts.OAuthState")
def _oauth_state(shop: Shop) -> OAuthState:
    account = _account(shop)
    return OAuthState.objects.create(
        nonce=f"nonce-{next(_serial)}",
        shop=shop,
        account=account,
        expires_at=timezone.now(),
    )


@url_object("accounts:edit")
def _account_url(shop: Shop) -> UrlKwargs:
    return {"account_id": make("accounts.Account", shop).pk}


@url_object("notifications:detail")
def _notification_url(shop: Shop) -> UrlKwargs:
    return {"pk": make("notifications.Notification", shop).pk}


@url_object("notifications:test-email-status")
def _test_email_url(shop: Shop) -> UrlKwargs:
    test = Notification.objects.create(
        shop=shop, category=Category.TEST, key=f"test:{next(_serial)}", email=_email(shop)
    )
    return {"pk": test.pk}


# Each app registers its own rows next to its tests; importing them here completes the registry.
from tests.billing import factories as _billing  # noqa: E402, F401
from tests.listings import factories as _listings  # noqa: E402, F401
from tests.orders import factories as _orders  # noqa: E402, F401

"""eBay's Marketplace Account Deletion, all of it: the endpoint's challenge response, the
signed notifications' verification, and forgetting the deleted seller.

https://developer.ebay.com/marketplace-account-deletion

eBay signs each notification (ECDSA over the body, SHA-1 digest) and names the key in the
base64 JSON header X-EBAY-SIGNATURE; the key itself is fetched from the Notification API
with an application token and cached, as eBay's event-notification SDKs do.

The header arrives before any signature is checked, so its key id is the sender's choice:
only ids shaped like eBay's reach eBay, and the application token is reused until it expires
rather than minted per notification.
"""

import base64
import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import quote

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import transitions
from accounts.health import clear_alerts
from accounts.marketplaces.base import (
    PermanentError,
    TransientError,
    http_failure,
    post_token_form,
)
from accounts.models import Account, Marketplace

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 3600
ARMOUR = re.compile(r"-----(BEGIN|END) PUBLIC KEY-----")
# eBay's key ids are UUIDs ("9936261a-7d7b-4621-a0f1-96ccb428af49" in the test data of eBay's
# event-notification Java and Node.js SDKs); the bare 32-hex form is accepted as well.
KEY_ID = re.compile(r"[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}", re.IGNORECASE)
APP_TOKEN_KEY = "ebay-app-token"
# Application tokens live 2 hours (expires_in); this much before that a new one is fetched.
APP_TOKEN_MARGIN = 300


def challenge_response(challenge_code: str) -> str:
    """SHA-256 of challengeCode + verificationToken + endpoint URL, hex, as eBay asks when the
    endpoint is saved."""
    endpoint = f"{settings.SHOPIFY_APP_URL}{reverse('accounts:ebay-account-deletion')}"
    digest = challenge_code + settings.EBAY_DELETION_VERIFICATION_TOKEN + endpoint
    return hashlib.sha256(digest.encode()).hexdigest()


def verify_signature(*, header: str, body: bytes) -> bool:
    try:
        signature = json.loads(base64.b64decode(header))
        kid = str(signature["kid"])
        if not KEY_ID.fullmatch(kid):
            return False
        key = _public_key(kid)
        key.verify(base64.b64decode(signature["signature"]), body, ec.ECDSA(hashes.SHA1()))
    except (ValueError, KeyError, TypeError, InvalidSignature, PermanentError):
        # An unknown key id (404) or a bad signature: not from eBay. Transient errors rise.
        return False
    return True


def _public_key(kid: str) -> ec.EllipticCurvePublicKey:
    pem = cache.get(f"ebay-public-key:{kid}")
    if pem is None:
        pem = _fetch_public_key(kid)["key"]
        cache.set(f"ebay-public-key:{kid}", pem, KEY_CACHE_SECONDS)
    # eBay sends the PEM on one line; the DER inside the armour is what matters.
    der = base64.b64decode("".join(ARMOUR.sub("", pem).split()))
    key = load_der_public_key(der)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("eBay key is not an EC key")
    return key


def _fetch_public_key(kid: str) -> dict[str, Any]:
    url = f"{settings.EBAY_API_ORIGIN}/commerce/notification/v1/public_key/{quote(kid, safe='')}"
    response = _get(url, _app_token())
    if response.status_code == 401:  # the cached token was revoked or has just expired
        cache.delete(APP_TOKEN_KEY)
        response = _get(url, _app_token())
    if response.status_code != 200:
        raise http_failure("eBay", response.status_code, response.text[:200])
    return response.json()


def _app_token() -> str:
    token = cache.get(APP_TOKEN_KEY)
    if token is None:
        grant = post_token_form(
            "eBay",
            settings.EBAY_TOKEN_URL,
            {"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"},
            auth=(settings.EBAY_CLIENT_ID, settings.EBAY_CLIENT_SECRET),
        )
        token = str(grant["access_token"])
        lifetime = int(grant.get("expires_in") or 0) - APP_TOKEN_MARGIN
        if lifetime > 0:
            cache.set(APP_TOKEN_KEY, token, lifetime)
    return str(token)


def _get(url: str, token: str) -> requests.Response:
    try:
        return requests.get(
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.MARKETPLACE_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TransientError(f"eBay public key unreachable: {exc}") from exc


@transaction.atomic
def forget_ebay_user(*, user_id: str, username: str) -> int:
    """eBay Marketplace Account Deletion: the seller's eBay account is gone. Drop what we hold
    of them (tokens, user id) and show the account as deleted at eBay: no login can bring it
    back, so the expired banner and email would ask the merchant for the impossible."""
    ids = {value for value in (user_id, username) if value}
    accounts = list(
        Account.objects.filter(marketplace=Marketplace.EBAY, external_id__in=ids)
        .select_related("shop")
        .select_for_update(of=("self",))
    )
    now = timezone.now()
    for account in accounts:
        clear_alerts(account)  # reads the warning and the failing run before they are cleared
        transitions.mark_deleted_at_marketplace(account=account, now=now)  # on the locked row
        log.warning("%s: the eBay account was deleted at eBay", account)
    return len(accounts)

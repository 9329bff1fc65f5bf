"""Verifying eBay's signed Marketplace Account Deletion notifications.

eBay signs each notification (ECDSA over the body, SHA-1 digest) and names the key in the
base64 JSON header X-EBAY-SIGNATURE; the key itself is fetched from the Notification API
with an application token and cached, as eBay's event-notification SDKs do.
"""

import base64
import json
import re
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.core.cache import cache

from accounts.marketplaces.base import (
    PermanentError,
    TransientError,
    http_failure,
    post_token_form,
)

KEY_CACHE_SECONDS = 3600
ARMOUR = re.compile(r"-----(BEGIN|END) PUBLIC KEY-----")


def verify_signature(*, header: str, body: bytes) -> bool:
    try:
        signature = json.loads(base64.b64decode(header))
        key = _public_key(str(signature["kid"]))
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
    token = post_token_form(
        "eBay",
        settings.EBAY_TOKEN_URL,
        {"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"},
        auth=(settings.EBAY_CLIENT_ID, settings.EBAY_CLIENT_SECRET),
    )["access_token"]
    url = f"{settings.EBAY_API_ORIGIN}/commerce/notification/v1/public_key/{kid}"
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.MARKETPLACE_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TransientError(f"eBay public key unreachable: {exc}") from exc
    if response.status_code != 200:
        raise http_failure("eBay", response.status_code, response.text[:200])
    return response.json()

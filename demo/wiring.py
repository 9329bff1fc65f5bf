"""The app pointed at the sandbox simulators: settings for a process already running (tests,
seeding) and environment variables for the processes `make demo` starts."""

from typing import Any

from sandbox import amazon, ebay, etsy

REGIONS = ("NA", "EU", "FE")
PER_REGION_ENV = {
    "AMAZON_SP_API_ENDPOINTS": "AMAZON_SP_API_ENDPOINT",
    "AMAZON_SELLER_CENTRAL_URLS": "AMAZON_SELLER_CENTRAL",
}


def sandbox_settings(sandbox_url: str) -> dict[str, Any]:
    """Every marketplace setting (and billing's exchange-rate source) pointed at the sandbox
    served at `sandbox_url`."""
    url = sandbox_url.rstrip("/")
    return {
        "AMAZON_APP_ID": amazon.APP_ID,
        "AMAZON_LWA_CLIENT_ID": amazon.CLIENT_ID,
        "AMAZON_LWA_CLIENT_SECRET": amazon.CLIENT_SECRET,
        "AMAZON_LWA_TOKEN_URL": f"{url}/amazon/auth/o2/token",
        "AMAZON_SP_API_ENDPOINTS": dict.fromkeys(REGIONS, f"{url}/amazon"),
        "AMAZON_SELLER_CENTRAL_URLS": dict.fromkeys(REGIONS, f"{url}/amazon"),
        "EBAY_CLIENT_ID": ebay.CLIENT_ID,
        "EBAY_CLIENT_SECRET": ebay.CLIENT_SECRET,
        "EBAY_DEV_ID": "sandbox-dev-id",
        "EBAY_RU_NAME": ebay.RU_NAME,
        "EBAY_TRADING_URL": f"{url}/ebay/ws/api.dll",
        "EBAY_API_ORIGIN": f"{url}/ebay",
        "EBAY_AUTH_URL": f"{url}/ebay/oauth2/authorize",
        "EBAY_TOKEN_URL": f"{url}/ebay/identity/v1/oauth2/token",
        "EBAY_DELETION_VERIFICATION_TOKEN": "sandbox-verification-token-0123456789abcdef",
        "ETSY_KEYSTRING": etsy.KEYSTRING,
        "ETSY_SHARED_SECRET": etsy.SHARED_SECRET,
        "ETSY_API_ORIGIN": f"{url}/etsy",
        "ETSY_CONNECT_URL": f"{url}/etsy/oauth/connect",
        "ETSY_TOKEN_URL": f"{url}/etsy/v3/public/oauth/token",
        "BILLING_RATES_URL": f"{url}/ecb/stats/eurofxref/eurofxref-daily.xml",
    }


def sandbox_environment(sandbox_url: str) -> dict[str, str]:
    """The same as environment variables, for processes started by `make demo`."""
    env: dict[str, str] = {}
    for name, value in sandbox_settings(sandbox_url).items():
        if isinstance(value, dict):  # per-region settings read AMAZON_..._{NA,EU,FE}
            stem = PER_REGION_ENV[name]
            env.update({f"{stem}_{region}": origin for region, origin in value.items()})
        else:
            env[name] = value
    return env


def shopify_environment(sandbox_url: str, app_url: str) -> dict[str, str]:
    """The Shopify side: the shop's API, the admin that frames the app, App Bridge."""
    return {
        "SHOPIFY_APP_URL": app_url,
        "SHOPIFY_SHOP_ORIGIN": f"{sandbox_url}/shopify/{{shop}}",
        "SHOPIFY_ADMIN_ORIGIN": sandbox_url,
        "SHOPIFY_APP_BRIDGE_URL": f"{sandbox_url}/shopify/cdn/app-bridge.js",
    }

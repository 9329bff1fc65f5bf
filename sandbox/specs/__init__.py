"""The vendors' published API descriptions, vendored so that a plain clone runs every contract
test (sources, commits and licences in README.md beside this file)."""

from pathlib import Path

SPECS_DIR = Path(__file__).resolve().parent
AMAZON_ORDERS = SPECS_DIR / "amazon" / "ordersV0.json"
AMAZON_LISTINGS = SPECS_DIR / "amazon" / "listingsItems_2021-08-01.json"
AMAZON_FEEDS = SPECS_DIR / "amazon" / "feeds_2021-06-30.json"
AMAZON_TOKENS = SPECS_DIR / "amazon" / "tokens_2021-03-01.json"
ETSY = SPECS_DIR / "etsy" / "etsy_openapi_v3.json"
SHOPIFY_ADMIN_SCHEMA = SPECS_DIR / "shopify" / "admin_schema_2025-01.json.gz"
POLARIS_WEB_COMPONENTS = SPECS_DIR / "shopify" / "polaris-web-components-schema.json"

"""The marketplaces (Amazon) and sites (eBay) an account can sell on, and their names."""

# Codes of sp_api's Marketplaces.
AMAZON_MARKETPLACES = [
    ("US", "Amazon.com (US)"),
    ("CA", "Amazon.ca"),
    ("MX", "Amazon.com.mx"),
    ("BR", "Amazon.com.br"),
    ("GB", "Amazon.co.uk"),
    ("DE", "Amazon.de"),
    ("FR", "Amazon.fr"),
    ("IT", "Amazon.it"),
    ("ES", "Amazon.es"),
    ("NL", "Amazon.nl"),
    ("SE", "Amazon.se"),
    ("PL", "Amazon.pl"),
    ("BE", "Amazon.com.be"),
    ("JP", "Amazon.co.jp"),
    ("AU", "Amazon.com.au"),
]
# Trading API site ids (eBay's SiteCodeType).
EBAY_SITES = [
    ("0", "eBay.com (US)"),
    ("2", "eBay.ca"),
    ("3", "eBay.co.uk"),
    ("15", "eBay.com.au"),
    ("71", "eBay.fr"),
    ("77", "eBay.de"),
    ("101", "eBay.it"),
    ("186", "eBay.es"),
]
SITES: dict[str, list[tuple[str, str]]] = {"amazon": AMAZON_MARKETPLACES, "ebay": EBAY_SITES}


def site_name(marketplace: str, site: str) -> str:
    """The name of ("ebay", "77") is "eBay.de"; an unknown code stays as it is."""
    return dict(SITES.get(marketplace, [])).get(site, site)

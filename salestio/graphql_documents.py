"""Every GraphQL document the app sends is declared through `gql`, so one test can validate
all of them against Shopify's published Admin schema (tests/salestio/test_graphql_schema.py)."""

DOCUMENTS: list[str] = []


def gql(document: str) -> str:
    DOCUMENTS.append(document)
    return document


SHOP_DETAILS_QUERY = gql(
    """
    query ShopDetails {
      shop { name email contactEmail currencyCode ianaTimezone }
    }
    """
)

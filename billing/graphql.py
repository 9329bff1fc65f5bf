"""Shopify Billing API documents (Admin GraphQL), declared through gql() so the schema test
validates them. https://shopify.dev/docs/apps/launch/billing/subscription-billing"""

from salestio.graphql_documents import gql

# https://shopify.dev/docs/api/admin-graphql/latest/mutations/appSubscriptionCreate
SUBSCRIPTION_CREATE = gql(
    """
    mutation AppSubscriptionCreate(
      $name: String!
      $lineItems: [AppSubscriptionLineItemInput!]!
      $returnUrl: URL!
      $test: Boolean
    ) {
      appSubscriptionCreate(
        name: $name, lineItems: $lineItems, returnUrl: $returnUrl, test: $test
      ) {
        appSubscription { id name status }
        confirmationUrl
        userErrors { field message }
      }
    }
    """
)

# https://shopify.dev/docs/api/admin-graphql/latest/mutations/appSubscriptionCancel
SUBSCRIPTION_CANCEL = gql(
    """
    mutation AppSubscriptionCancel($id: ID!) {
      appSubscriptionCancel(id: $id) {
        appSubscription { id status }
        userErrors { field message }
      }
    }
    """
)

# https://shopify.dev/docs/api/admin-graphql/latest/queries/currentAppInstallation
ACTIVE_SUBSCRIPTIONS = gql(
    """
    query ActiveSubscriptions {
      currentAppInstallation {
        activeSubscriptions { id name status test currentPeriodEnd }
      }
    }
    """
)

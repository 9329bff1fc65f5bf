"""Local simulators of Shopify and the marketplaces, speaking their documented wire formats."""

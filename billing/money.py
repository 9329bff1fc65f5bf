"""Money as the merchant reads it: salestio.l10n's one money format (Babel), so the plans,
the counter and the emails say "5.000,00 €" in German and "€5,000.00" in English."""

from decimal import Decimal

from salestio import l10n


def format_money(amount: Decimal, currency: str) -> str:
    return l10n.money(amount, currency)

"""Money as the merchant reads it. One function, so the localisation helpers (Babel) can take
over in one place."""

from decimal import Decimal

from django.utils.formats import number_format


def format_money(amount: Decimal, currency: str) -> str:
    """ "4,850.00 EUR" in English, "4.850,00 EUR" in German (the active language's format)."""
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)} {currency}"

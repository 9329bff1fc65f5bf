"""Reads of the accounts app, always scoped by the shop."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account
from salestio.models import Shop


def shop_accounts(*, shop: Shop) -> QuerySet[Account]:
    return Account.objects.filter(shop=shop).order_by("marketplace", "name", "pk")


def shop_account(*, shop: Shop, account_id: int) -> Account:
    """Another shop's account id is a 404, never a 403: its existence is not revealed."""
    return get_object_or_404(Account, shop=shop, pk=account_id)

"""Forms of the orders app: one SKU mapping, a CSV upload, the orders filter."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Marketplace
from orders.models import OrderStatus
from salestio.models import Shop


class ShopAccountForm(forms.Form):
    """A form with an optional choice among the shop's own accounts (empty: all of them)."""

    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        required=False,
        empty_label=_("All accounts"),
    )

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(shop=shop)  # type: ignore[attr-defined]


class SkuMappingForm(ShopAccountForm):
    marketplace_sku = forms.CharField(label=_("Marketplace SKU"), max_length=200)
    store_sku = forms.CharField(label=_("Store SKU"), max_length=200)
    field_order = ["marketplace_sku", "store_sku", "account"]


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    save_valid = forms.BooleanField(
        label=_("If some rows have errors, save the valid rows anyway"), required=False
    )


class OrderFilterForm(ShopAccountForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *OrderStatus.choices]
    )
    marketplace = forms.ChoiceField(
        label=_("Marketplace"),
        required=False,
        choices=[("", _("All marketplaces")), *Marketplace.choices],
    )
    field_order = ["q", "status", "marketplace", "account"]

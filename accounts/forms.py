"""The account form: a name and, where the marketplace has them, its marketplace or site."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Marketplace
from accounts.sites import AMAZON_MARKETPLACES, EBAY_SITES

SITE_FIELDS: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    Marketplace.AMAZON: (_("Amazon marketplace (region)"), AMAZON_MARKETPLACES),
    Marketplace.EBAY: (_("eBay site"), EBAY_SITES),
}


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Account name"), max_length=100)

    def __init__(self, *args: Any, marketplace: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if marketplace in SITE_FIELDS:  # not Etsy: one shop per login, nothing to choose
            label, choices = SITE_FIELDS[marketplace]
            self.fields["site"] = forms.ChoiceField(label=label, choices=choices)

    def site_value(self) -> str:
        return str(self.cleaned_data.get("site", ""))

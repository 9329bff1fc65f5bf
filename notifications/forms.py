from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from notifications import selectors
from notifications.models import SETTINGS_CATEGORIES, NotificationSettings, shop_language

CATEGORY_FIELDS = [str(category) for category in SETTINGS_CATEGORIES]
CATEGORY_HELP = {
    "order_import_failed": _(
        "Salestio could not create an imported order in Shopify. The email has the order id "
        "and the error message."
    ),
    "fulfillment_failed": _(
        "Salestio could not send fulfillment data back to the marketplace. The email has the "
        "order id."
    ),
    "listing_update_failed": _(
        "An Update Error appeared on a synchronized listing. The email has the SKU and the "
        "error message."
    ),
    "account_expired": _(
        "A marketplace account became inactive, expires soon, or cannot be reached for more "
        "than a day. The email says which one and how to reconnect it."
    ),
    "plan_limit": _("The shop nearly reached or exceeded the GMV limit of its Salestio plan."),
}


class NotificationSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    # Checked in clean(): the field is ignored (and hidden) while the shop email is used.
    email = forms.CharField(
        label=_("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = NotificationSettings
        fields = [*CATEGORY_FIELDS, "use_shop_email", "email", "language"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, help_text in CATEGORY_HELP.items():
            self.fields[name].help_text = help_text
        # The blank choice follows the shop's language; it names the one it stands for now.
        current = dict(settings.LANGUAGES)[shop_language(self.instance.shop)]
        follow = _("Same as the app (%(language)s)") % {"language": current}
        language = cast(forms.ChoiceField, self.fields["language"])
        language.choices = [("", follow), *settings.LANGUAGES]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("use_shop_email"):
            data["email"] = self.instance.email  # keep what was saved, hidden and unused
            self._check_address(self.instance.shop.owner_email, "use_shop_email")
        else:
            data["email"] = (data.get("email") or "").strip().lower()
            self._check_address(data["email"], "email")
        return data

    def _check_address(self, address: str, field: str) -> None:
        if not address:
            message = (
                _("Shopify has not told us the shop owner's email yet. Enter an address.")
                if field == "use_shop_email"
                else _("Enter the email address for notifications.")
            )
            self.add_error(field, message)
            return
        try:
            validate_email(address)
        except ValidationError:
            self.add_error(field, _("Enter a valid email address."))
            return
        if selectors.address_bounced(shop=self.instance.shop, address=address):
            self.add_error(
                field,
                _("Emails to %(address)s bounced. Enter another address.") % {"address": address},
            )

    def settings_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def category_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CATEGORY_FIELDS]

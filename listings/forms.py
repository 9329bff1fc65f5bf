"""The listings settings form: which Shopify locations count toward the available quantity."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class CountedLocationsForm(forms.Form):
    locations = forms.TypedMultipleChoiceField(
        label=_("Locations that count toward the available quantity"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one location.")},
    )

    def __init__(self, *args: Any, known: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["locations"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(location, _("Location %(id)s") % {"id": location}) for location in known]
        self.known = known

    def counted(self) -> list[int]:
        """What to store: every known location checked means all, later ones included."""
        chosen: list[int] = self.cleaned_data["locations"]
        return [] if set(chosen) >= set(self.known) else chosen

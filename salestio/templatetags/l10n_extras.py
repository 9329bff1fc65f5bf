"""Template face of salestio.l10n: {% load l10n_extras %} then
`{% money amount currency %}`, `{{ day|date_short }}`, `{{ moment|datetime }}`,
`{{ moment|relative }}`, `{{ value|number }}`."""

from datetime import date, datetime

from django import template

from salestio import errors, l10n

register = template.Library()


@register.simple_tag
def money(amount: object, currency: str) -> str:
    return l10n.money(amount, currency)


@register.filter
def number(value: object) -> str:
    return l10n.number(value)


@register.filter
def date_short(value: date | datetime | str | None) -> str:
    return l10n.date_short(value)


@register.filter(name="datetime")
def datetime_filter(value: datetime | None) -> str:
    return l10n.datetime_short(value)


@register.filter
def relative(value: datetime | None) -> str:
    return l10n.relative(value)


@register.simple_tag
def explain(raw: str, kind: str = "account") -> errors.Explained:
    """`{% explain account.last_error as problem %}`: problem.sentence, problem.detail."""
    return errors.explain(raw or "", kind=errors.kind_of(kind))

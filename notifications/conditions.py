"""Banners are the state: each banner kind's condition, re-checked.

An app registers, once per kind, a function telling which of the given active banners still
hold (`register_condition`). The dashboard shows only those, and the app's sweep calls
`resolve_stale_banners(kinds=…)` so a banner whose condition no longer holds is resolved even
if the event that should have cleared it was missed (a lost task, a demo re-seed, a bug). A
kind without a registered condition holds until its raiser resolves it.
"""

from collections.abc import Callable, Iterable, Sequence

from django.utils import timezone

from notifications.models import Banner
from salestio.models import Shop

# Given active banners of one kind, the pks of those whose condition still holds.
Condition = Callable[[Sequence[Banner]], set[int]]

_CONDITIONS: dict[str, Condition] = {}


def register_condition(*kinds: str, condition: Condition) -> None:
    for kind in kinds:
        _CONDITIONS[kind] = condition


def holding(banners: Iterable[Banner]) -> list[Banner]:
    """The banners whose condition holds, in their order; one check per kind."""
    banners = list(banners)
    stale = _stale_pks(banners)
    return [banner for banner in banners if banner.pk not in stale]


def _stale_pks(banners: Sequence[Banner]) -> set[int]:
    stale: set[int] = set()
    for kind, condition in _CONDITIONS.items():
        of_kind = [banner for banner in banners if banner.kind == kind]
        if of_kind:
            stale |= {banner.pk for banner in of_kind} - condition(of_kind)
    return stale


def resolve_stale_banners(*, kinds: Iterable[str], shop: Shop | None = None) -> int:
    """The sweep's re-check: resolve every active banner of `kinds` whose condition is gone."""
    active = Banner.objects.filter(kind__in=list(kinds), resolved_at=None)
    if shop is not None:
        active = active.filter(shop=shop)
    stale = _stale_pks(list(active.only("pk", "kind", "subject", "shop_id")))
    if not stale:
        return 0
    return Banner.objects.filter(pk__in=stale, resolved_at=None).update(resolved_at=timezone.now())

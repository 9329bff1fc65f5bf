"""Banners are the state: each banner kind's condition, re-checked.

An app registers, once per kind, a function telling which of the given active banners still
hold (`register_condition`). The dashboard shows only those, and the app's sweep calls
`resolve_stale_banners(kinds=…)` so a banner whose condition no longer holds is resolved even
if the event that should have cleared it was missed (a lost task, a demo re-seed, a bug). A
kind without a registered condition holds until its raiser resolves it.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils import timezone

from notifications.models import Banner
from salestio.db import Read
from salestio.models import Shop

# Given active banners of one kind, the pks of those whose condition still holds.
Condition = Callable[[Sequence[Banner]], set[int]]
# What some kinds' conditions read, read ahead for a shop's `newest` active banners (the
# dashboard's, with its other reads: salestio.db.read_together): the shape gives each of those
# kinds its condition over what was read.
ReadAhead = Callable[[Shop, int], Read[Any, dict[str, Condition]]]

_CONDITIONS: dict[str, Condition] = {}
_READ_AHEAD: dict[str, ReadAhead] = {}


def register_condition(
    *kinds: str, condition: Condition, read_ahead: ReadAhead | None = None
) -> None:
    for kind in kinds:
        _CONDITIONS[kind] = condition
        if read_ahead is not None:
            _READ_AHEAD[kind] = read_ahead


def reads_ahead(*, shop: Shop, newest: int) -> list[Read[Any, dict[str, Condition]]]:
    """The registered reads ahead for a shop's `newest` active banners, one per function."""
    return [read_ahead(shop, newest) for read_ahead in dict.fromkeys(_READ_AHEAD.values())]


def holding(
    banners: Iterable[Banner], *, read: Iterable[dict[str, Condition]] = ()
) -> list[Banner]:
    """The banners whose condition holds, in their order; one check per kind. `read`: what
    reads_ahead() answered; the other kinds' conditions read for themselves."""
    banners = list(banners)
    conditions = dict(_CONDITIONS)
    for ahead in read:
        conditions.update(ahead)
    stale = _stale_pks(banners, conditions)
    return [banner for banner in banners if banner.pk not in stale]


def _stale_pks(
    banners: Sequence[Banner], conditions: dict[str, Condition] = _CONDITIONS
) -> set[int]:
    stale: set[int] = set()
    for kind, condition in conditions.items():
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

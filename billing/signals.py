"""Billing's signals. `limit_lifted` is sent (with `shop=`) when a plan upgrade or a new
billing period ends a pause: order export and listing sync catch up on it."""

from django.dispatch import Signal

limit_lifted = Signal()

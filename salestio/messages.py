"""Flash messages without cookies inside the admin iframe.

Embedded requests keep their messages in the cache under the shop and the admin user from the
session token; standalone (demo) requests use Django's usual cookie/session storage.
"""

import logging
from functools import cached_property
from typing import Any, cast

from django.contrib.messages.storage.base import BaseStorage, Message
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from salestio.http import ShopRequest

log = logging.getLogger(__name__)
MESSAGE_TTL = 300


class ShopMessageStorage(BaseStorage):
    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any):
        super().__init__(request, *args, **kwargs)
        self._arguments = args, kwargs

    @cached_property
    def _fallback(self) -> FallbackStorage:
        """Django's cookie and session storages, for standalone requests only: an embedded
        page does not build them (a cookie signer each) for nothing."""
        args, kwargs = self._arguments
        return FallbackStorage(self.request, *args, **kwargs)

    def _cache_key(self) -> str | None:
        if not getattr(self.request, "embedded", False):
            return None
        # Only a verified session token makes a request embedded, and it also sets the shop.
        request = cast(ShopRequest, self.request)
        return f"messages:{request.shop.domain}:{request.shopify_user_id}"

    def _get(self, *args: Any, **kwargs: Any) -> tuple[list[Message] | None, bool]:
        key = self._cache_key()
        if key is None:
            return self._fallback._get(*args, **kwargs)  # type: ignore[attr-defined]
        try:
            return cache.get(key), True
        except RedisError as exc:  # a page without its flash message beats a 500
            log.warning("flash messages unavailable, cache down: %s", exc)
            return None, True

    def _store(
        self, messages: list[Message], response: HttpResponse, *args: Any, **kwargs: Any
    ) -> list[Message]:
        key = self._cache_key()
        if key is None:
            return self._fallback._store(messages, response, *args, **kwargs)  # type: ignore[attr-defined]
        try:
            if messages:
                cache.set(key, messages, MESSAGE_TTL)
            else:
                cache.delete(key)
        except RedisError as exc:
            log.warning("%d flash message(s) dropped, cache down: %s", len(messages), exc)
        return []

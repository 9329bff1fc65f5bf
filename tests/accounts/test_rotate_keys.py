"""`manage.py rotate_keys`: every secret readable under the new key alone afterwards."""

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection, connections, transaction

from accounts.models import Account
from salestio import crypto
from salestio.models import Shop
from tests.concurrency import wait_for_a_lock_waiter

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings: Any) -> Any:
    def use(*new_keys: str) -> None:
        settings.FERNET_KEYS = list(new_keys)
        crypto._fernet.cache_clear()

    yield use
    crypto._fernet.cache_clear()


def test_rotate_keys_reencrypts_shop_and_account_secrets(
    make_shop: Callable[..., Shop], keys: Any
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    shop = make_shop(access_token="shpat_secret", refresh_token="shprt_secret")
    account = Account.objects.create(
        shop=shop, marketplace="etsy", name="E", access_token="a-secret", refresh_token="r-secret"
    )

    keys(new, old)
    call_command("rotate_keys", stdout=io.StringIO())
    keys(new)

    assert Shop.objects.get(pk=shop.pk).refresh_token == "shprt_secret"
    stored = Account.objects.get(pk=account.pk)
    assert (stored.access_token, stored.refresh_token) == ("a-secret", "r-secret")


def test_without_rotation_the_old_key_is_still_needed(
    make_shop: Callable[..., Shop], keys: Any
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    shop = make_shop(access_token="shpat_secret")
    keys(new)
    with pytest.raises(InvalidToken):
        Shop.objects.get(pk=shop.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_stored_during_rotation_is_not_overwritten(
    make_shop: Callable[..., Shop], keys: Any
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    account = Account.objects.create(
        shop=make_shop(), marketplace="etsy", name="E", access_token="a-1", refresh_token="r-1"
    )
    keys(new, old)
    locked = threading.Event()

    def refresh() -> None:
        """As refresh_account_credentials: lock the row, store the rotated pair, commit."""
        try:
            with transaction.atomic():
                row = Account.objects.select_for_update().get(pk=account.pk)
                row.access_token, row.refresh_token = "a-2", "r-2"
                row.save(update_fields=["access_token", "refresh_token"])
                locked.set()
                with connection.cursor() as cursor:
                    # rotate_keys has read "1" and now waits
                    wait_for_a_lock_waiter(cursor, waiter="rotate_keys")
        finally:
            connections.close_all()

    refresher = threading.Thread(target=refresh)
    refresher.start()
    assert locked.wait(5)
    call_command("rotate_keys", stdout=io.StringIO())
    refresher.join()
    keys(new)

    stored = Account.objects.get(pk=account.pk)
    assert (stored.access_token, stored.refresh_token) == ("a-2", "r-2")

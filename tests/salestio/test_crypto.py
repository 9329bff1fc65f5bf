"""Secrets at rest: the database holds Fernet tokens, and keys rotate without a flag day."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from salestio import crypto
from salestio.models import Shop


@pytest.fixture(autouse=True)
def fresh_keys() -> Iterator[None]:
    """salestio.crypto caches the key ring; every change of FERNET_KEYS must drop it."""
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def raw_access_token(shop: Shop) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT access_token FROM {Shop._meta.db_table} WHERE id = %s", [shop.pk])
        return str(cursor.fetchone()[0])


def test_the_raw_row_holds_a_fernet_token_not_the_secret(
    make_shop: Callable[..., Shop], settings: Any
) -> None:
    shop = make_shop(access_token="shpat_plaintext_secret")
    stored = raw_access_token(shop)
    assert "shpat_plaintext_secret" not in stored
    assert Fernet(settings.FERNET_KEYS[0]).decrypt(stored.encode()) == b"shpat_plaintext_secret"
    assert Shop.objects.get(pk=shop.pk).access_token == "shpat_plaintext_secret"


def test_rows_written_before_a_new_key_still_decrypt(
    make_shop: Callable[..., Shop], settings: Any
) -> None:
    shop = make_shop(access_token="shpat_before_rotation")
    new_key = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new_key, *settings.FERNET_KEYS]
    crypto._fernet.cache_clear()

    assert Shop.objects.get(pk=shop.pk).access_token == "shpat_before_rotation"
    shop.access_token = "shpat_after_rotation"
    shop.save()
    assert Fernet(new_key).decrypt(raw_access_token(shop).encode()) == b"shpat_after_rotation"


def test_rotate_re_encrypts_under_the_newest_key(settings: Any) -> None:
    old_token = crypto.encrypt("secret")
    new_key = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new_key, *settings.FERNET_KEYS]
    crypto._fernet.cache_clear()
    assert Fernet(new_key).decrypt(crypto.rotate(old_token).encode()) == b"secret"


def test_a_row_under_a_dropped_key_cannot_be_read(
    make_shop: Callable[..., Shop], settings: Any
) -> None:
    shop = make_shop(access_token="shpat_old")
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto._fernet.cache_clear()
    with pytest.raises(InvalidToken):
        Shop.objects.get(pk=shop.pk)

"""`manage.py rotate_keys`: every secret readable under the new key alone afterwards."""

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from accounts.models import Account
from salestio import crypto
from salestio.models import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings: Any) -> Any:
    def use(*new_keys: str) -> None:
        settings.FERNET_KEYS = list(new_keys)
        crypto._fernet.cache_clear()

    yield use
    crypto._fernet.cache_clear()


def test_rotate_keys_reencrypts_shop_and_account_secrets(make_shop: Any, keys: Any) -> None:
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


def test_without_rotation_the_old_key_is_still_needed(make_shop: Any, keys: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    shop = make_shop(access_token="shpat_secret")
    keys(new)
    with pytest.raises(InvalidToken):
        Shop.objects.get(pk=shop.pk)

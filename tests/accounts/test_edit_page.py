"""The edit page says what to do: an expired account asks for the login, never shows a
deadline; an active one shows its deadline in the one date format; errors in the merchant's
language with the marketplace's words as a detail line."""

from datetime import UTC, datetime
from typing import Any

import pytest

from accounts.models import Account
from salestio import compile_messages
from tests.accounts.test_reconnect import expired_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def compiled(settings: Any) -> None:
    compile_messages.main()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


def edit_page(shop_client: Any, shop: Any, account: Account) -> str:
    return str(shop_client(shop).get(f"/accounts/{account.pk}/edit").content.decode())


def test_an_expired_account_shows_what_to_do_and_no_deadline(
    connect: Any, shop: Any, sims: Any, shop_client: Any
) -> None:
    account = expired_account(connect, shop, sims)
    Account.objects.filter(pk=account.pk).update(reauthorize_by=datetime(2027, 11, 30, tzinfo=UTC))
    page = edit_page(shop_client, shop, account)
    assert "What to do: press Save account below and log in to Amazon" in page
    assert "requires a new login by" not in page
    assert "s message:" in page  # the vendor's words as a detail line
    assert 'role="alert"' in page


def test_an_expired_account_in_german_names_the_vendors_words_only_as_detail(
    connect: Any, make_shop: Any, sims: Any, shop_client: Any
) -> None:
    shop = make_shop(locale="de")
    account = expired_account(connect, shop, sims)
    page = edit_page(shop_client, shop, account)
    assert "Was zu tun ist: Klicken Sie unten auf „Konto speichern“" in page
    assert "Meldung des Marktplatzes:" in page
    assert f'<span lang="en">{account.expired_reason}' in page.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "by Nov 30, 2027."), ("de", "bis 30.11.2027 eine neue Anmeldung")],
)
def test_an_active_account_shows_its_deadline_in_the_one_date_format(
    connect: Any, make_shop: Any, shop_client: Any, language: str, shown: str
) -> None:
    shop = make_shop(locale=language)
    account = connect(shop, "ebay")
    Account.objects.filter(pk=account.pk).update(reauthorize_by=datetime(2027, 11, 30, tzinfo=UTC))
    assert shown in edit_page(shop_client, shop, account)

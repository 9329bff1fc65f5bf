"""The Orders tab, the order page and the SKU mapping pages, through the real views."""

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from orders.models import Order, OrderItem, OrderLogLine, OrderStatus, SkuMapping

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def account(shop: Any) -> Account:
    return Account.objects.create(shop=shop, marketplace="ebay", name="Main eBay")


def add_order(account: Account, order_id: str, **fields: Any) -> Order:
    order = Order.objects.create(
        shop=account.shop,
        account=account,
        marketplace=account.marketplace,
        marketplace_order_id=order_id,
        **fields,
    )
    OrderItem.objects.create(
        order=order, marketplace_sku="SKU-1", quantity=1, unit_price=Decimal("5")
    )
    return order


def test_search_by_marketplace_id_and_shopify_name(
    shop_client: Any, shop: Any, account: Account
) -> None:
    add_order(account, "12-11111", status=OrderStatus.IMPORTED, shopify_order_name="#1001")
    add_order(account, "12-22222", status=OrderStatus.FAILED, error="No product")
    client = shop_client(shop)

    by_id = client.get("/orders/", {"q": "22222"}).content.decode()
    assert "12-22222" in by_id and "12-11111" not in by_id
    by_name = client.get("/orders/", {"q": "#1001"}).content.decode()
    assert "12-11111" in by_name and "12-22222" not in by_name
    failed = client.get("/orders/", {"status": "failed"}).content.decode()
    assert "12-22222" in failed and "12-11111" not in failed
    etsy = client.get("/orders/", {"marketplace": "etsy"}).content.decode()
    assert "12-22222" not in etsy


def test_a_page_costs_the_same_queries_for_10_and_50_orders(
    shop_client: Any, shop: Any, account: Account
) -> None:
    client = shop_client(shop)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/orders/").status_code == 200
        return len(captured)

    for n in range(10):
        add_order(account, f"A-{n}")
    few = queries()
    for n in range(40):
        add_order(account, f"B-{n}")
    assert queries() == few


def test_detail_shows_items_log_and_shopify_link(
    shop_client: Any, shop: Any, account: Account
) -> None:
    order = add_order(
        account,
        "12-33333",
        status=OrderStatus.IMPORTED,
        shopify_order_id="gid://shopify/Order/4242",
        shopify_order_name="#1005",
    )
    OrderLogLine.objects.create(order=order, message="Created in Shopify as #1005.")
    page = shop_client(shop).get(f"/orders/{order.pk}/").content.decode()
    assert "SKU-1" in page
    assert "Created in Shopify as #1005." in page
    assert f"/store/{shop.store_handle}/orders/4242" in page


def test_retry_export_only_touches_the_shops_failed_orders(
    shop_client: Any, shop: Any, account: Account, make_shop: Any
) -> None:
    failed = add_order(account, "F-1", status=OrderStatus.FAILED)
    done = add_order(account, "D-1", status=OrderStatus.IMPORTED)
    other_shop = make_shop("other.myshopify.com")
    foreign = add_order(
        Account.objects.create(shop=other_shop, marketplace="ebay", name="x"),
        "X-1",
        status=OrderStatus.FAILED,
    )
    from django.conf import settings

    settings.CELERY_TASK_ALWAYS_EAGER = False  # keep the export queued; this test is the click
    try:
        response = shop_client(shop).post(
            "/orders/retry/", {"order": [failed.pk, done.pk, foreign.pk]}
        )
    finally:
        settings.CELERY_TASK_ALWAYS_EAGER = True
    assert response.status_code == 302
    statuses = dict(Order.objects.values_list("marketplace_order_id", "status"))
    assert statuses == {"F-1": "pending", "D-1": "imported", "X-1": "failed"}


# --- SKU mapping ------------------------------------------------------------------------------


def upload(client: Any, content: bytes, **extra: Any) -> Any:
    file = SimpleUploadedFile("mappings.csv", content, content_type="text/csv")
    return client.post("/orders/sku-mappings/upload/", {"file": file, **extra})


def test_add_one_mapping_and_download(shop_client: Any, shop: Any, account: Account) -> None:
    client = shop_client(shop)
    response = client.post(
        "/orders/sku-mappings/",
        {"marketplace_sku": "EB-1", "store_sku": "ST-1", "account": account.pk},
    )
    assert response.status_code == 302
    assert SkuMapping.objects.get(shop=shop).account == account
    download = client.get("/orders/sku-mappings/download/")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines() == [
        "marketplace_sku,store_sku,account",
        "EB-1,ST-1,Main eBay",
    ]


def test_invalid_mapping_form_re_renders(shop_client: Any, shop: Any) -> None:
    response = shop_client(shop).post("/orders/sku-mappings/", {"marketplace_sku": "X"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_good_csv_is_saved(shop_client: Any, shop: Any, account: Account) -> None:
    content = b"marketplace_sku,store_sku,account\nA,STORE-A,\nB,STORE-B,Main eBay\n"
    assert upload(shop_client(shop), content).status_code == 302
    assert dict(SkuMapping.objects.values_list("marketplace_sku", "store_sku")) == {
        "A": "STORE-A",
        "B": "STORE-B",
    }


def test_bad_rows_are_listed_by_number_and_nothing_saved(
    shop_client: Any, shop: Any, account: Account
) -> None:
    content = b"marketplace_sku,store_sku,account\nA,STORE-A,\n,STORE-B,\nC,STORE-C,Nobody\n"
    response = upload(shop_client(shop), content)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Row 3:" in page and "Row 4:" in page and "Row 2:" not in page
    assert not SkuMapping.objects.exists()

    saved = upload(shop_client(shop), content, save_valid="on")
    assert saved.status_code == 200
    assert list(SkuMapping.objects.values_list("marketplace_sku", flat=True)) == ["A"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"   \n", "The file is empty."),
        ("A,STÖRE\n".encode("latin-1"), "not UTF-8"),
        (b"A,B\n" * (10 * 1024 * 1024 // 4), "larger than 2 MB"),
    ],
    ids=["empty", "blank", "latin-1", "10MB"],
)
def test_unreadable_files_get_a_clear_answer(
    shop_client: Any, shop: Any, content: bytes, message: str
) -> None:
    response = upload(shop_client(shop), content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SkuMapping.objects.exists()

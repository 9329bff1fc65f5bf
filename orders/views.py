"""The Orders tab, an order's page with its log, Retry export, and the SKU mapping pages."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders import csv_mapping, selectors, services, tasks
from orders.forms import CsvUploadForm, OrderFilterForm, SkuMappingForm
from orders.models import Order, SkuMapping
from salestio.http import ShopRequest


@require_GET
def order_list(request: ShopRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None, shop=request.shop)
    filters = form.cleaned_data if form.is_valid() else {}
    account = filters.get("account")
    rows = selectors.shop_orders(
        shop=request.shop,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        marketplace=filters.get("marketplace", ""),
        account_id=account.pk if account else None,
    )
    page = Paginator(rows, selectors.ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "orders/list.html", context)


@require_GET
def order_detail(request: ShopRequest, order_id: int) -> HttpResponse:
    order = selectors.shop_order(shop=request.shop, order_id=order_id)
    context = {
        "order": order,
        "items": order.items.all(),
        "log_lines": order.log_lines.all(),
        "fulfillments": order.fulfillments.all(),
        "shopify_url": _shopify_url(request, order),
    }
    return render(request, "orders/detail.html", context)


def _shopify_url(request: ShopRequest, order: Order) -> str:
    if not order.shopify_order_id:
        return ""
    number = order.shopify_order_id.rsplit("/", 1)[-1]
    return f"{settings.SHOPIFY_ADMIN_ORIGIN}/store/{request.shop.store_handle}/orders/{number}"


@require_POST
def retry_export(request: ShopRequest) -> HttpResponse:
    """Retry export for one order (its page) or a selection (the list)."""
    wanted = [int(i) for i in request.POST.getlist("order") if i.isdigit()]
    retried = services.mark_for_retry(shop=request.shop, order_ids=wanted)
    if retried:
        transaction.on_commit(lambda: tasks.export_orders.delay(retried))
    messages.success(
        request,
        ngettext(
            "%(count)d order is being exported again.",
            "%(count)d orders are being exported again.",
            len(retried),
        )
        % {"count": len(retried)},
    )
    return redirect(request.POST.get("next") or reverse("orders:list"))


@require_POST
def import_now(request: ShopRequest) -> HttpResponse:
    account_ids = services.import_now(shop=request.shop)
    transaction.on_commit(lambda: [tasks.import_account_orders.delay(i) for i in account_ids])
    messages.success(request, _("Import started. New orders appear here in a moment."))
    return redirect("orders:list")


# --- SKU mapping ------------------------------------------------------------------------------


def _mapping_page(
    request: ShopRequest,
    *,
    form: SkuMappingForm | None = None,
    upload: CsvUploadForm | None = None,
    errors: list[tuple[int, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "mappings": selectors.shop_sku_mappings(shop=request.shop),
        "form": form
        or SkuMappingForm(shop=request.shop, initial={"marketplace_sku": request.GET.get("sku")}),
        "upload": upload or CsvUploadForm(),
        "row_errors": errors or [],
    }
    return render(request, "orders/sku_mappings.html", context, status=status)


@require_http_methods(["GET", "POST"])
def sku_mappings(request: ShopRequest) -> HttpResponse:
    if request.method == "GET":
        return _mapping_page(request)
    form = SkuMappingForm(request.POST, shop=request.shop)
    if not form.is_valid():
        return _mapping_page(request, form=form, status=400)
    _, waiting = services.save_sku_mapping(shop=request.shop, **form.cleaned_data)
    _export_later(waiting)
    messages.success(request, _saved_message(1, len(waiting)))
    return redirect("orders:sku-mappings")


@require_POST
def sku_mapping_upload(request: ShopRequest) -> HttpResponse:
    upload = CsvUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _mapping_page(request, upload=upload, status=400)
    file = upload.cleaned_data["file"]
    try:
        if file.size > csv_mapping.MAX_BYTES:
            raise csv_mapping.CsvRefused(
                _("The file is larger than 2 MB; split it into smaller files.")
            )
        parsed = csv_mapping.read_upload(file.read(), request.shop.marketplace_accounts.all())
    except csv_mapping.CsvRefused as refused:
        upload.add_error("file", str(refused))
        return _mapping_page(request, upload=upload, status=400)
    if parsed.errors and not upload.cleaned_data["save_valid"]:
        return _mapping_page(request, upload=upload, errors=parsed.errors, status=400)
    waiting = services.save_uploaded_mappings(shop=request.shop, rows=parsed.rows)
    _export_later(waiting)
    messages.success(request, _saved_message(len(parsed.rows), len(waiting)))
    if parsed.errors:
        return _mapping_page(request, errors=parsed.errors)
    return redirect("orders:sku-mappings")


def _saved_message(saved: int, retried: int) -> str:
    text = ngettext("%(count)d SKU mapping saved.", "%(count)d SKU mappings saved.", saved) % {
        "count": saved
    }
    if retried:
        text += " " + ngettext(
            "%(count)d failed order is being imported again.",
            "%(count)d failed orders are being imported again.",
            retried,
        ) % {"count": retried}
    return text


def _export_later(order_ids: list[int]) -> None:
    if order_ids:
        transaction.on_commit(lambda: tasks.export_orders.delay(order_ids))


@require_GET
def sku_mapping_download(request: ShopRequest) -> HttpResponse:
    body = csv_mapping.write_csv(selectors.shop_sku_mappings(shop=request.shop))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sku-mappings.csv"'
    return response


@require_POST
def sku_mapping_delete(request: ShopRequest, mapping_id: int) -> HttpResponse:
    mapping = get_object_or_404(SkuMapping, shop=request.shop, pk=mapping_id)
    services.delete_sku_mapping(shop=request.shop, mapping_id=mapping.pk)
    messages.success(request, _("SKU mapping deleted."))
    return redirect("orders:sku-mappings")

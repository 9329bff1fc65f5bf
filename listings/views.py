"""The listings page, one listing with its push log, and the merchant's actions on them."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account, Marketplace
from listings import selectors, services, tasks
from listings.forms import CountedLocationsForm
from listings.linking import link, unlink
from listings.models import Listing
from salestio.http import ShopRequest


def _filter_of(request: ShopRequest) -> selectors.ListingFilter:
    account = request.GET.get("account", "")
    marketplace = request.GET.get("marketplace", "")
    return selectors.ListingFilter(
        status=request.GET.get("status", ""),
        query=request.GET.get("q", "").strip()[:200],
        account_id=int(account) if account.isdigit() else None,
        marketplace=marketplace if marketplace in Marketplace.values else "",
    )


@require_GET
def list(request: ShopRequest) -> HttpResponse:
    by = _filter_of(request)
    page = selectors.listing_page(
        shop=request.shop,
        by=by,
        number=request.GET.get("page"),
        per_page=settings.LISTINGS_PER_PAGE,
    )
    return render(
        request,
        "listings/list.html",
        {
            "page": page,
            "by": by,
            "statuses": Listing.Status.choices,
            "counters": selectors.counters_by_account(shop=request.shop),
            "accounts": Account.objects.filter(shop=request.shop).order_by("marketplace", "name"),
            "query_string": request.GET.urlencode(),
        },
    )


def _listing_or_404(request: ShopRequest, listing_id: int) -> Listing:
    try:
        return selectors.listing(shop=request.shop, listing_id=listing_id)
    except Listing.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
def detail(request: ShopRequest, listing_id: int) -> HttpResponse:
    listing = _listing_or_404(request, listing_id)
    return render(
        request,
        "listings/detail.html",
        {"listing": listing, "pushes": selectors.push_log(listing=listing)},
    )


@require_POST
def update_selected(request: ShopRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("listing") if value.isdigit()]
    count = services.request_update(shop=request.shop, listing_ids=ids)
    messages.success(
        request,
        ngettext("Update sent for %(count)d listing.", "Update sent for %(count)d listings.", count)
        % {"count": count},
    )
    back = request.POST.get("back", "")
    return HttpResponseRedirect(reverse("listings:list") + (f"?{back}" if back else ""))


@require_POST
def update_one(request: ShopRequest, listing_id: int) -> HttpResponse:
    listing = _listing_or_404(request, listing_id)
    services.request_update(shop=request.shop, listing_ids=[listing.pk])
    messages.success(request, _("Update sent."))
    return HttpResponseRedirect(reverse("listings:detail", args=[listing.pk]))


@require_POST
def link_listing(request: ShopRequest, listing_id: int) -> HttpResponse:
    listing = _listing_or_404(request, listing_id)
    store_sku = request.POST.get("store_sku", "").strip()
    if not store_sku:
        messages.error(request, _("Enter the SKU of the product in your store."))
    else:
        linked = link(shop=request.shop, listing_id=listing.pk, store_sku=store_sku)
        if linked.status == Listing.Status.NOT_LINKED:
            messages.warning(request, _("No product in your store has this SKU yet."))
    return HttpResponseRedirect(reverse("listings:detail", args=[listing.pk]))


@require_POST
def unlink_listing(request: ShopRequest, listing_id: int) -> HttpResponse:
    listing = _listing_or_404(request, listing_id)
    unlink(shop=request.shop, listing_id=listing.pk)
    return HttpResponseRedirect(reverse("listings:detail", args=[listing.pk]))


@require_POST
def discover(request: ShopRequest, account_id: int) -> HttpResponse:
    account = Account.objects.filter(shop=request.shop, pk=account_id).first()
    if account is None:
        raise Http404
    tasks.discover_listings.delay(account.pk)
    messages.success(request, _("Looking for listings of %(name)s.") % {"name": account.name})
    return HttpResponseRedirect(reverse("listings:list"))


@require_http_methods(["GET", "POST"])
def locations(request: ShopRequest) -> HttpResponse:
    known = selectors.known_locations(shop=request.shop)
    if request.method == "GET":
        initial = {"locations": selectors.counted_locations(shop=request.shop)}
        form = CountedLocationsForm(known=known, initial=initial)
        return render(request, "listings/locations.html", {"form": form, "known": known})
    form = CountedLocationsForm(request.POST, known=known)
    if not form.is_valid():
        context = {"form": form, "known": known}
        return render(request, "listings/locations.html", context, status=400)
    services.set_counted_locations(shop=request.shop, location_ids=form.counted())
    messages.success(request, _("Locations saved. Listing quantities follow them."))
    return redirect("listings:locations")

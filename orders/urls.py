from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:order_id>/", views.order_detail, name="detail"),
    path("retry/", views.retry_export, name="retry"),
    path("import/", views.import_now, name="import"),
    path("sku-mappings/", views.sku_mappings, name="sku-mappings"),
    path("sku-mappings/upload/", views.sku_mapping_upload, name="sku-mapping-upload"),
    path("sku-mappings/download/", views.sku_mapping_download, name="sku-mapping-download"),
    path(
        "sku-mappings/<int:mapping_id>/delete/",
        views.sku_mapping_delete,
        name="sku-mapping-delete",
    ),
]

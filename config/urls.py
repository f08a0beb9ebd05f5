from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("config.api_urls")),
    path("embed/", include("dashboard.urls")),
    path("webhooks/", include("connections.webhook_urls")),
]

# JSON errors for /api/ paths, Django's pages elsewhere (see companies/api/errors.py).
handler404 = "companies.api.errors.handler404"
handler500 = "companies.api.errors.handler500"

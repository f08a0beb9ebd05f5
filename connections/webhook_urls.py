from django.urls import path

from connections import webhooks

urlpatterns = [
    path("rutter", webhooks.rutter, name="webhook-rutter"),
    path("stripe", webhooks.stripe, name="webhook-stripe"),
    path("plaid", webhooks.plaid, name="webhook-plaid"),
]

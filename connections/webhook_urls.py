from django.urls import path

from connections import webhooks

urlpatterns = [
    path("rutter", webhooks.rutter, name="webhook-rutter"),
    path("stripe", webhooks.stripe, name="webhook-stripe"),
    path("plaid", webhooks.plaid, name="webhook-plaid"),
    # A partner's own endpoints (its Rutter organization, Stripe platform, Plaid team).
    path("rutter/<uuid:partner_id>", webhooks.rutter, name="webhook-rutter-partner"),
    path("stripe/<uuid:partner_id>", webhooks.stripe, name="webhook-stripe-partner"),
    path("plaid/<uuid:partner_id>", webhooks.plaid, name="webhook-plaid-partner"),
]

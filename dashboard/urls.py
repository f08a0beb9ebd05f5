"""The embedded dashboard, mounted at /embed/. Every view here is checked by EmbedAuthMiddleware."""

from django.urls import path

from dashboard.views import categories, close, connect, entry, overview, review, transactions

app_name = "dashboard"

urlpatterns = [
    path("", entry.embed_home, name="home"),
    path("staff/<int:company_id>/", entry.staff_open, name="staff_open"),
    path("connect/<str:provider>/callback/", connect.connect_callback, name="connect_callback"),
    path("connect/stripe/go/", connect.connect_go, name="connect_go"),
    path("<uuid:company>/overview/", overview.overview_page, name="overview"),
    path("<uuid:company>/transactions/", transactions.transactions_page, name="transactions"),
    path("<uuid:company>/transactions.csv", transactions.transactions_csv, name="transactions_csv"),
    path("<uuid:company>/transactions/<int:pk>/breakdown/", transactions.transaction_breakdown, name="breakdown"),
    path("<uuid:company>/review/", review.review_page, name="review"),
    path("<uuid:company>/review/<int:pk>/accept/", review.suggestion_accept, name="accept"),
    path("<uuid:company>/review/accept/", review.suggestions_accept_many, name="accept_many"),
    path("<uuid:company>/review/<int:pk>/reject/", review.suggestion_reject, name="reject"),
    path("<uuid:company>/review/<int:pk>/unmatch/", review.match_unmatch, name="unmatch"),
    path("<uuid:company>/review/deposit/<int:pk>/", review.manual_match, name="manual"),
    path("<uuid:company>/review/deposit/<int:pk>/categorize/", categories.line_categorize, name="categorize"),
    path("<uuid:company>/review/categorized/<int:pk>/undo/", categories.categorization_undo, name="categorize_undo"),
    path("<uuid:company>/review/rules/<int:pk>/delete/", categories.rule_delete, name="rule_delete"),
    path("<uuid:company>/close/", close.close_page, name="close"),
    path("<uuid:company>/close.csv", close.close_csv, name="close_csv"),
    path("<uuid:company>/connections/", connect.connections_page, name="connections"),
    path("<uuid:company>/connections/<str:provider>/start/", connect.connect_start, name="connect_start"),
    path("<uuid:company>/connections/<int:pk>/sync/", connect.connection_sync_now, name="connection_sync"),
    path("<uuid:company>/connections/<int:pk>/disconnect/", connect.connection_disconnect_now,
         name="connection_disconnect"),
    path("<uuid:company>/connections/plaid/link-token/", connect.plaid_link_token, name="plaid_link_token"),
    path("<uuid:company>/connections/<str:provider>/link/", connect.connection_link, name="connection_link"),
]

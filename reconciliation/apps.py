from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"

    def ready(self):
        from connections.signals import books_changed
        from reconciliation.receivers import reconcile_when_books_change

        books_changed.connect(reconcile_when_books_change, dispatch_uid="reconcile-when-books-change")

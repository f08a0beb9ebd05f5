from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"

    def ready(self):
        from connections.signals import books_changed, connection_reset
        from reconciliation.receivers import (
            forget_connection,
            reconcile_when_books_change,
            reset_learned_behaviour,
        )

        books_changed.connect(reconcile_when_books_change, dispatch_uid="reconcile-when-books-change")
        connection_reset.connect(forget_connection, dispatch_uid="reconciliation-forget-connection")
        connection_reset.connect(reset_learned_behaviour, dispatch_uid="reset-learned-behaviour")

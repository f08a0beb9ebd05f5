"""What the outside world's data did, announced to whoever listens (reconciliation does).

`connections` is below `reconciliation`: it never imports it, it only says what happened."""

from django.dispatch import Signal

# Sent with `company_id` when a sync or a webhook brought records into a company's books.
books_changed = Signal()

# Sent with `company_id` and `connection_id` when a connection is disconnected: what was learned
# about it (reconciliation's fee schedules) is forgotten.
connection_reset = Signal()

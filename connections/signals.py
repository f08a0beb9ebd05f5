"""What the outside world's data did, announced to whoever listens (reconciliation does).

`connections` is below `reconciliation`: it never imports it, it only says what happened."""

from django.dispatch import Signal

# Sent with `company_id` when a sync or a webhook brought records into a company's books.
books_changed = Signal()

# Sent with `company_id` and `connection_id` when a store connection starts over: linked again
# (the user relinked or repaired it) or disconnected. What was learned about it is reset.
connection_reset = Signal()

"""What the outside world's data did, announced to whoever listens (reconciliation does).

`connections` is below `reconciliation`: it never imports it, it only says what happened."""

from django.dispatch import Signal

# Sent with `company_id` when a sync or a webhook brought records into a company's books.
books_changed = Signal()

# Sent with `company_id`, `connection_id` and `reason` ("relinked": the user linked it again or
# repaired it; "disconnected") when a store connection starts over: what was learned about it
# (reconciliation's learned behaviour; on disconnect its fee schedule too) is reset.
connection_reset = Signal()

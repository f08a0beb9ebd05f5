"""Every write of reconciliation: runs, matches (accept, reject, undo, manual) and their bookings."""

from reconciliation.services.errors import ReconciliationError
from reconciliation.services.matches import match_accept, match_manual, match_reject, match_undo
from reconciliation.services.runs import reconcile_company

__all__ = [
    "ReconciliationError", "match_accept", "match_manual", "match_reject", "match_undo",
    "reconcile_company",
]

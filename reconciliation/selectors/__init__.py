"""Reads for reconciliation (engine inputs, matches, exports), always scoped to a company."""

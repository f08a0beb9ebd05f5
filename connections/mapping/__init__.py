"""Provider objects -> plain dict rows for the ledger: Decimal money, signed by meaning.

Pure functions, no ORM and no HTTP: the sync fetches pages with connections.providers, maps each
object here, and hands the rows to ledger services. Row shapes are documented in each module.
Every row carries `source` (the connection reference: "rutter:<connection_id>",
"stripe:<account_id>", "plaid:<item_id>") and `external_id` (the provider's id); rows are keyed by
(company, source, external_id). Unknown enum values are kept (`provider_type` holds the raw value,
`kind` is "other"); they are never dropped and never crash a sync.
"""

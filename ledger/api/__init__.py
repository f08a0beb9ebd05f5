"""Partner API over one company's books (read-only): bank feed, invoices, payouts, expenses, journal."""

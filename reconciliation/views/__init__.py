"""The embedded dashboard: plain function views, authenticated by reconciliation.embed."""

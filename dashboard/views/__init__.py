"""The embedded dashboard: plain function views, authenticated by dashboard.embed."""

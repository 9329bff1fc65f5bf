"""Demo data for `make demo`: one `seed(shop, **kwargs)` per app."""

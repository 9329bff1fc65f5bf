"""Everything `make demo` needs and production does not: seeding, rundemo, the sandbox wiring.

Installed (INSTALLED_APPS) only under DEMO_MODE and in the tests; the Docker image leaves it
out, and no production module imports it (tests/salestio/test_import_walk.py).
"""

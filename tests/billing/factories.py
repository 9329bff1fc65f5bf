"""The billing app's rows and object URLs for the registry in tests/factories.py."""

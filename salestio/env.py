"""Typed readers for configuration that comes from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_origins(prefix: str, defaults: dict[str, str]) -> dict[str, str]:
    """One origin per key (a region, say), each read from `{prefix}_{key}`; no trailing slash."""
    return {key: env_str(f"{prefix}_{key}", url).rstrip("/") for key, url in defaults.items()}


def env_required(name: str, *, unless: bool, fallback: str) -> str:
    """A secret that production must set; development may run on `fallback`."""
    value = os.environ.get(name)
    if value:
        return value
    if unless:
        return fallback
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")

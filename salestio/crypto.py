"""Secrets at rest: Fernet with a key list, so keys can rotate without a flag day."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.FERNET_KEYS)
    if not keys:
        # Development only: DEBUG may run without FERNET_KEYS (settings refuses otherwise).
        digest = hashlib.sha256(settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    return _fernet().decrypt(ciphertext.encode()).decode()


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (`manage.py rotate_keys` walks every secret)."""
    return _fernet().rotate(ciphertext.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; Python code sees plaintext."""

    def from_db_value(self, value: str | None, *_: object) -> str | None:
        return decrypt(value) if value else value

    def get_prep_value(self, value: object) -> str | None:
        if value in (None, ""):
            return value
        return encrypt(str(value))

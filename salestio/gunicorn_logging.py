"""Gunicorn's access log without credentials: the request line, query and referrer of an
embedded page carry App Bridge's session token (`?id_token=`), which is a bearer credential
for its lifetime. Loaded by gunicorn.conf.py (`logger_class`)."""

from typing import Any

from gunicorn.glogging import Logger

from salestio.logging import redact

# Atoms of gunicorn's access_log_format holding a URL (docs.gunicorn.org, "access_log_format").
URL_ATOMS = ("r", "U", "q", "f")


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key, value in list(atoms.items()):
            # Request headers ({authorization}i) may be in a custom format.
            if key.startswith("{") and isinstance(value, str):
                atoms[key] = redact(value)
        return atoms

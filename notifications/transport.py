"""The one seam to the ESP: hand a message to the configured email backend (django-anymail or
Django's SMTP/console backends) and say whether a failure is worth retrying."""

import smtplib

from anymail.exceptions import AnymailAPIError, AnymailError
from django.core.mail import EmailMessage

# Anymail does not retry a failed send, it raises AnymailAPIError
# (https://anymail.dev/en/stable/sending/exceptions/): the outbox retries, on these only.
TRANSIENT_HTTP = {408, 425, 429}


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def send(message: EmailMessage) -> str:
    """Send; return the ESP's message id ("" for backends without one, e.g. SMTP)."""
    try:
        message.send()
    except AnymailError as exc:
        raise TransportError(str(exc), permanent=_anymail_permanent(exc)) from exc
    except smtplib.SMTPException as exc:
        raise TransportError(str(exc), permanent=_smtp_permanent(exc)) from exc
    except OSError as exc:  # refused connection, DNS, timeout: the server may come back
        raise TransportError(str(exc), permanent=False) from exc
    except Exception as exc:
        # A backend's own bug or misconfiguration: retried and, in the end, recorded as the
        # email's error on the history page, never left as a traceback in a worker log.
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    status = getattr(message, "anymail_status", None)
    message_id = status.message_id if status is not None else None
    return message_id if isinstance(message_id, str) else ""


def _anymail_permanent(exc: AnymailError) -> bool:
    """An API answer of 5xx, 429 or none at all (network) may pass; 4xx and refusals will not."""
    if not isinstance(exc, AnymailAPIError):
        return True  # recipients refused, invalid address, unsupported feature
    status = exc.status_code
    return not (status is None or status >= 500 or status in TRANSIENT_HTTP)


def _smtp_permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False  # disconnected mid-conversation and the like

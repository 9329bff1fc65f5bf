"""Events of an account's life that other apps react to."""

from django.dispatch import Signal

# sender=Account, account=Account. Sent after the commit of a login or reconnect; listing
# sync discovers the account's listings on it.
account_connected = Signal()

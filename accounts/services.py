"""The accounts app's writes, by concern. Import from the module that owns the concern:

- accounts.login: connect and log in again (tickets, start URL, state, code exchange)
- accounts.credentials: the guarded token refresh and call_marketplace()
- accounts.health: the connection check, expiry, the warnings
- accounts.sweep: leasing due accounts in batches and checking them
- accounts.transitions: every status change, each a conditional update
- accounts.ebay_deletion: eBay's Marketplace Account Deletion

The names below stay importable from here for code written before the split.
"""

from accounts.credentials import call_marketplace, refresh_account_credentials
from accounts.ebay_deletion import forget_ebay_user
from accounts.health import check_account, expire_account
from accounts.login import (
    InvalidState,
    begin_login,
    claim_state,
    complete_login,
    create_account,
    rename_account,
    restore_connection,
    start_login,
)
from accounts.transitions import pause_shop_accounts, resume_shop_accounts

__all__ = [
    "InvalidState",
    "begin_login",
    "call_marketplace",
    "check_account",
    "claim_state",
    "complete_login",
    "create_account",
    "expire_account",
    "forget_ebay_user",
    "pause_shop_accounts",
    "refresh_account_credentials",
    "rename_account",
    "restore_connection",
    "resume_shop_accounts",
    "start_login",
]

class AccountsError(Exception):
    """Base of the accounts app's expected failures (shown to the user, never a 500)."""


class EmailAlreadyRegistered(AccountsError):
    pass


class OfficerRefused(AccountsError):
    """A Privacy Officer account cannot be made as asked (the message says why)."""


class LastOwner(AccountsError):
    """The change would leave the company without an owner."""

class AccountsError(Exception):
    """Base of the accounts app's expected failures (shown to the user, never a 500)."""


class EmailAlreadyRegistered(AccountsError):
    pass


class OfficerRefused(AccountsError):
    """A Privacy Officer account cannot be made as asked (the message says why)."""


class LastOwner(AccountsError):
    """The change would leave the company without an owner."""


class EmailNotVerified(AccountsError):
    """The action needs a proven email address (CON-4): the user confirms it from the emailed link first."""

    def __init__(self, message: str = "Confirm your email address first: we sent you a link. "
                                      "No email? Send a new link from the notice at the top of the page.") -> None:
        super().__init__(message)


class WrongCode(AccountsError):
    """A two-factor code (the app's or a recovery code) was not accepted."""


class TooManyCodeAttempts(AccountsError):
    """django-otp's throttling: after wrong codes the device waits longer before it checks another."""


class TooManyApiTokens(AccountsError):
    """The account holds ``API_TOKENS_PER_USER`` live API tokens already: revoke one first."""

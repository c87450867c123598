from __future__ import annotations


class ConsentError(Exception):
    """A consent change that cannot be made; the message is safe to show."""


class SupportAccessRefused(ConsentError):
    """Support access was asked for without the grant or the permission it needs, or for a bad duration."""


class UnknownUnsubscribeLink(ConsentError):
    """The unsubscribe token is malformed or belongs to no one (any more)."""


class InvitationRefused(ConsentError):
    """An invitation change that cannot be made as asked (the message says why)."""


class InvitationQuotaExceeded(ConsentError):
    """The company has sent as many invitations as it may in 24 hours."""


class InvitationUnavailable(ConsentError):
    """The link leads to no usable invitation; ``state`` says why (replaced, expired, used, …)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state

from __future__ import annotations


class ConsentError(Exception):
    """A consent change that cannot be made; the message is safe to show."""


class SupportAccessRefused(ConsentError):
    """Support access was asked for without the grant or the permission it needs, or for a bad duration."""


class UnknownUnsubscribeLink(ConsentError):
    """The unsubscribe token is malformed or belongs to no one (any more)."""

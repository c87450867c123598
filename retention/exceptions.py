from __future__ import annotations

from django.db import models


class RetentionError(Exception):
    """Base of the retention app's expected failures (shown to the user, never a 500)."""


class NotAnOwner(RetentionError):
    """Only an owner of the company may ask to shut it down."""


class CompanyNotActive(RetentionError):
    """The company is already closed (or purged)."""


class ShutdownLinkRefused(RetentionError):
    """The emailed link cannot close the company; ``problem`` says why, for the page."""

    class Problem(models.TextChoices):
        INVALID = "invalid", "This link is not valid."
        NOT_YOURS = "not_yours", "This link belongs to another account."
        EXPIRED = "expired", "This link has expired."
        USED = "used", "This link was already used."
        REPLACED = "replaced", "This link was replaced by a newer one, or the shutdown was cancelled."
        CLOSED = "closed", "This company is already closed."

    def __init__(self, problem: ShutdownLinkRefused.Problem) -> None:
        super().__init__(problem.label)
        self.problem = problem

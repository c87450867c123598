class ExportUnavailable(Exception):
    """The export link is invalid, used, or expired."""



class PolicyError(Exception):
    """A policy version cannot be drafted or published as asked; the message says why."""


class InquiryRefused(Exception):
    """An inquiry change that cannot be made as asked; the message says why and is safe to show."""


class InquiryRateLimited(Exception):
    """More inquiries from this email or client address in the last hour than allowed; nothing was stored."""


class DayNotFinished(ValueError):
    """Statistics are stored for finished days only (a day still running would change)."""

class ExportUnavailable(Exception):
    """The export link is invalid, used, or expired."""


class SupportAccessRefused(Exception):
    """Staff may not view this company's data (no active grant), or a grant request is invalid."""

class ExportUnavailable(Exception):
    """The export link is invalid, used, or expired."""


class ExportUnavailable(Exception):
    """The export link is invalid, used, or expired."""



class DayNotFinished(ValueError):
    """Statistics are stored for finished days only (a day still running would change)."""

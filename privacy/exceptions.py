class ExportUnavailable(Exception):
    """The export link is invalid, used, or expired."""



class PolicyError(Exception):
    """A policy version cannot be drafted or published as asked; the message says why."""

class RecordInUse(Exception):
    """A record other records still point to cannot be deleted (tenant FKs are PROTECT)."""

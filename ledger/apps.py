from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        from ledger import (  # noqa: F401  (each registers outbox handlers or daily counts)
            imports,  # the statement import's outbox handler
            invoicing,  # the invoice email's outbox handler
            statistics,  # the ledger's daily counts
        )

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        from ledger import (
            imports,  # noqa: F401  (registers the statement import's outbox handler)
            statistics,  # noqa: F401  (registers the ledger's daily counts)
        )

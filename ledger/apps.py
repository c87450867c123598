from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        from ledger import invoicing, statistics  # noqa: F401  (register the invoice email's outbox handler, the daily counts)

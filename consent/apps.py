from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self) -> None:
        # The check, the outbox handler and the daily counts register themselves on import.
        from consent import checks, services, statistics  # noqa: F401

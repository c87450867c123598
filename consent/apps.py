from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self) -> None:
        from consent import checks, services  # noqa: F401  (registers the check and the outbox handler)

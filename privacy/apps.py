from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        from privacy import checks, services  # noqa: F401  (registers the registry check, outbox handlers)

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        # The registry check, the outbox handlers and the users and companies counts register on import.
        from privacy import checks, services, statistics  # noqa: F401

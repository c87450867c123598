from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "retention"

    def ready(self) -> None:
        # The checks, the outbox handlers, the daily counts and the report sections register themselves on import.
        from retention import checks, emails, statistics  # noqa: F401

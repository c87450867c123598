"""Nothing is lost when the broker is down: the outbox delivers every email exactly once.

Runs against a real redis-server (the tests' private one) that the test stops and restarts,
and a real Celery worker consuming from it.
"""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import transaction

from accounts import outbox, services
from accounts.emails import send_welcome_email
from accounts.models import OutboxMessage, User
from softhelpers import localservers
from softhelpers.celery import app as celery_app
from tests.conftest import wait_for

SIGNUP = {"full_name": "Dana", "email": "dana@example.com", "password": "a-long-test-password-42",
          "company_name": "Dana Ltd"}


def test_rolled_back_change_sends_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.sign_up(**SIGNUP)
        raise RuntimeError("the request failed after sign-up")
    assert not OutboxMessage.objects.exists()
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


@pytest.mark.django_db(transaction=True)
def test_requests_succeed_with_broker_down_and_every_email_arrives_once_it_is_back(client, broker):
    localservers.stop_redis(broker)
    assert not localservers.redis_ping(broker / "redis" / "redis.sock")

    started = time.monotonic()
    response = client.post("/accounts/signup/", SIGNUP)
    second = client.post("/accounts/logout/")
    assert response.status_code == 302 and second.status_code == 302
    assert time.monotonic() - started < 5  # a down broker fails fast, it does not hang the request
    with transaction.atomic():
        services.sign_up(**{**SIGNUP, "email": "eli@example.com", "full_name": "Eli"})
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert pending.count() == 2
    assert mail.outbox == []

    localservers.ensure_redis(broker)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for message in pending:  # the on-commit dispatch was lost: the sweep and a duplicate dispatch race
            outbox.dispatch(message.pk)
            outbox.dispatch(message.pk)
        celery_app.send_task("outbox.sweep")
        assert wait_for(lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists())
        time.sleep(1.0)  # let any duplicate deliveries run

    assert sorted(m.to[0] for m in mail.outbox) == ["dana@example.com", "eli@example.com"]
    assert all(m.attempts == 1 for m in OutboxMessage.objects.all())


@pytest.mark.django_db(transaction=True)
def test_delivery_is_exactly_once_when_called_repeatedly(db):
    user = User.objects.create_user(email="fay@example.com", password="x" * 12)
    with transaction.atomic():
        message = outbox.enqueue(send_welcome_email, user_id=user.pk)
    assert outbox.deliver(message.pk) is True
    assert outbox.deliver(message.pk) is False
    assert outbox.sweep() == 0
    assert len(mail.outbox) == 1


def test_failing_handler_is_retried_by_the_sweep_and_keeps_no_personal_value(db, monkeypatch, caplog):
    user = User.objects.create_user(email="gil@example.com", password="x" * 12)
    message = outbox.enqueue(send_welcome_email, user_id=user.pk)
    assert message.payload == {"user_id": user.pk}  # ids only, never the address

    def broken(**kwargs):
        raise ConnectionError("provider down for gil@example.com")

    monkeypatch.setitem(outbox._handlers, "accounts.welcome_email", broken)
    assert outbox.deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.attempts, message.last_error, message.delivered_at) == (1, "ConnectionError", None)
    assert "ConnectionError" in caplog.text and "gil@example.com" not in caplog.text
    monkeypatch.undo()
    assert outbox.sweep() == 1
    assert len(mail.outbox) == 1


def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry

"""Personal values never reach logs or Celery messages; pages and API responses are never cached (MOB-1)."""

from __future__ import annotations

import base64
import io
import json
import logging
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounts.models import OutboxMessage
from privacy.log_scrubbing import PersonalDataFilter
from privacy.tasks import build_export_task
from tests.security.test_tenant_isolation import COMPANY_ROUTES, _client_for, _url

pytestmark = pytest.mark.django_db

SEEDED = ["Zelda Quartermaine", "zelda.q@privatemail.example", "+44 7700 900123", "17 Hidden Lane, Bath",
          "GB29NWBK60161331926819", "zq-bank-login", "zq-very-secret-bank-password", "ZQ Holdings Owner",
          "zq.owner@owner.example"]


@pytest.fixture
def captured_logs():
    """The production handler setup (our filter on the handler), at DEBUG, SQL included."""
    assert "personal_data" in settings.LOGGING["handlers"]["console"]["filters"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root, sql = logging.getLogger(), logging.getLogger("django.db.backends")
    previous = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its values, as DEBUG=True would
    try:
        yield stream
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(handler)
        root.setLevel(previous[0])
        sql.setLevel(previous[1])


def _broker_messages() -> list[bytes]:
    socket_path = urlsplit(settings.CELERY_BROKER_URL).path
    return redis.Redis(unix_socket_path=socket_path).lrange("celery", 0, -1)


@pytest.mark.policy("SHR-1", "CON-2")
def test_main_flows_at_debug_leave_no_personal_value_in_logs_or_task_messages(
        client, api_client, captured_logs, django_capture_on_commit_callbacks, broker):
    redis.Redis(unix_socket_path=urlsplit(settings.CELERY_BROKER_URL).path).delete("celery")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", {
            "email": SEEDED[8], "full_name": SEEDED[7], "company_name": "ZQ Holdings",
            "password": "a-long-test-password-42", "password2": "a-long-test-password-42"})
    assert response.status_code == 302, response.content
    from accounts import verification
    from accounts.models import User

    verify = f"/accounts/verify/{verification.make_token(User.objects.get(email=SEEDED[8]))}/"
    assert client.post(verify).status_code == 200  # the welcome email's link, so that the export may start
    company_id = int(client.get("/api/v1/companies/").json()[0]["id"])
    token = api_client.post("/api/v1/auth/token/", {"email": SEEDED[8], "password": "a-long-test-password-42"},
                            format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    base = f"/api/v1/companies/{company_id}"
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(f"{base}/contacts/", {"name": SEEDED[0], "email": SEEDED[1], "phone": SEEDED[2],
                                                     "address": SEEDED[3]}, format="json").status_code == 201
        account = api_client.post(f"{base}/bank-accounts/", {"name": "Main", "holder_name": SEEDED[7],
                                                            "account_number": SEEDED[4]}, format="json").json()
        assert api_client.post(f"{base}/bank-connections/", {
            "bank_account": account["id"], "provider": "Open Banking", "login_name": SEEDED[5],
            "credentials": SEEDED[6]}, format="json").status_code == 201
        assert api_client.post(f"{base}/contacts/", {"name": "Bad", "email": "not-an-email"},
                               format="json").status_code == 400
        assert SEEDED[1].encode() in api_client.get(f"{base}/contacts/").content
        client.post(f"/companies/{company_id}/export/")
    export = OutboxMessage.objects.get(handler="privacy.start_export").payload
    build_export_task.run(**export)
    logging.getLogger("softhelpers.test").error("could not import %s", {"email": SEEDED[1], "phone": SEEDED[2]})

    logs = captured_logs.getvalue()
    assert "SELECT … ledger_contact" in logs and "INSERT … ledger_bankconnection" in logs  # SQL was logged
    for value in SEEDED:
        assert value not in logs, value
    payloads = json.dumps(list(OutboxMessage.objects.values_list("payload", flat=True)))
    messages = _broker_messages()
    assert messages, "dispatching the outbox publishes task messages"
    for raw in messages:
        body = base64.b64decode(json.loads(raw)["body"]).decode()
        args, kwargs, _ = json.loads(body)
        assert args == [] and set(kwargs) == {"message_id"}
        for value in SEEDED:
            assert value not in body and value not in payloads


def test_exception_text_is_scrubbed_too(captured_logs):
    try:
        raise ValueError(f"Key (email)=({SEEDED[1]}) already exists")
    except ValueError:
        logging.getLogger("softhelpers.test").exception("failed")
    logs = captured_logs.getvalue()
    assert "ValueError" in logs and SEEDED[1] not in logs


@pytest.mark.policy("MOB-1")
@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.name)
def test_every_company_page_and_api_response_is_no_store(route, acme, client, api_client):
    http = _client_for(route, acme.owner, client, api_client)
    response = http.get(_url(route, acme.company.pk, acme, own=True))
    assert "no-store" in response["Cache-Control"], route.name


@pytest.mark.policy("MOB-1")
def test_account_pages_and_api_lists_are_no_store_but_static_files_cache(client, acme):
    for url in ["/accounts/login/", "/accounts/signup/"]:
        assert "no-store" in client.get(url)["Cache-Control"]
    client.force_login(acme.owner)
    for url in ["/companies/", f"/companies/{acme.company.pk}/manage/", "/api/v1/companies/",
                f"/api/v1/companies/{acme.company.pk}/contacts/"]:
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url
    static = client.get("/static/app.css")
    assert "no-store" not in static.get("Cache-Control", "")

"""The owners' load for ``bench/load.py`` (Locust, headless; never run against anything but loopback).

``BENCH_LOAD_SCENARIO`` picks the users: ``mix`` (owners browsing list and detail pages, searching,
adding contacts and invoices through the pages and the API, reading API lists), ``api-list`` (the
API contacts list alone) or ``bare-list`` (the floor's list of the same rows). ``BENCH_LOAD_STATE``
names the file with the owners' companies, record ids, session cookies and API tokens.

Request names are endpoint classes, so the statistics come per class. The run stops by itself
after ``BENCH_LOAD_MAX_REQUESTS`` requests, whatever ``--run-time`` says.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from requests.cookies import create_cookie

STATE: dict[str, Any] = json.loads(open(os.environ["BENCH_LOAD_STATE"]).read())  # noqa: SIM115, PTH123
SCENARIO = os.environ.get("BENCH_LOAD_SCENARIO", "mix")
MAX_REQUESTS = int(os.environ.get("BENCH_LOAD_MAX_REQUESTS", "20000"))
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_slots = itertools.count()
_sent = itertools.count(1)


@events.request.add_listener
def _bounded(**kwargs: Any) -> None:
    environment: Environment | None = _environment
    if next(_sent) >= MAX_REQUESTS and environment is not None and environment.runner is not None:
        environment.runner.quit()


_environment: Environment | None = None


@events.init.add_listener
def _remember(environment: Environment, **kwargs: Any) -> None:
    global _environment
    _environment = environment


class Owner(FastHttpUser):
    """One owner's browser tab and script: each simulated user takes the next session of the next owner."""

    abstract = True
    wait_time = constant(0)  # closed loop: the next request when the last one answered

    def on_start(self) -> None:
        slot = next(_slots)
        owners = STATE["owners"]
        self.owner = owners[slot % len(owners)]
        self.company = self.owner["company_id"]
        sessions = self.owner.get("sessions") or [{}]
        for name, value in sessions[(slot // len(owners)) % len(sessions)].items():
            self.client.cookiejar.set_cookie(create_cookie(name, value, domain="127.0.0.1"))
        self.api = {"Authorization": f"Token {self.owner.get('token', '')}", "Accept": "application/json"}

    def page(self, path: str, name: str) -> str:
        with self.client.get(f"/c/{self.company}/{path}", name=name,
                             catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            return response.text or ""

    def api_get(self, path: str, name: str) -> None:
        with self.client.get(f"/api/v1/companies/{self.company}/{path}", headers=self.api, name=name,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class MixUser(Owner):
    abstract = SCENARIO != "mix"

    @task(6)
    def list_page(self) -> None:
        self.page(random.choice(["contacts/", "invoices/", "bank-transactions/"]), "page list")

    @task(4)
    def detail_page(self) -> None:
        kind, ids = random.choice([("contacts", "contacts"), ("invoices", "invoices"),
                                   ("bank-transactions", "transactions")])
        self.page(f"{kind}/{random.choice(self.owner[ids])}/", "page detail")

    @task(1)
    def home_page(self) -> None:
        self.page("", "page home")

    @task(2)
    def search_page(self) -> None:
        if random.random() < 0.5:
            self.page(f"contacts/?search={random.choice(STATE['contact_terms'])}", "page search")
        else:
            self.page(f"bank-transactions/?search={random.choice(STATE['transaction_terms'])}", "page search")

    @task(6)
    def api_list(self) -> None:
        self.api_get(random.choice(["contacts/", "invoices/", "bank-transactions/"]), "api list")

    @task(2)
    def api_search(self) -> None:
        self.api_get(f"contacts/?search={random.choice(STATE['contact_terms'])}", "api search")

    @task(1)
    def api_detail(self) -> None:
        self.api_get(f"invoices/{random.choice(self.owner['invoices'])}/", "api detail")

    def _post_form(self, slug: str, fields: dict[str, str]) -> None:
        form = self.page(f"{slug}/new/", "page form")
        token = _CSRF.search(form)
        if token is None:
            return
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Referer": f"{self.host}/c/{self.company}/{slug}/new/"}
        with self.client.post(f"/c/{self.company}/{slug}/new/", data=urlencode(
                {"csrfmiddlewaretoken": token.group(1), **fields}), headers=headers, name="page create",
                catch_response=True, allow_redirects=False) as response:
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")

    @task(1)
    def create_contact_page(self) -> None:
        mark = uuid.uuid4().hex[:8]
        self._post_form("contacts", {"name": f"Load Tester {mark}", "email": f"load.{mark}@example.com",
                                     "phone": "+92 300 0000000", "address": "1 Mall Road\nLahore"})

    @task(1)
    def create_invoice_page(self) -> None:
        today = date.today()
        self._post_form("invoices", {
            "contact": str(random.choice(self.owner["contacts"])), "contact_search": "",
            "number": f"LOAD-{uuid.uuid4().hex[:10]}", "issue_date": today.isoformat(),
            "due_date": (today + timedelta(days=30)).isoformat(), "status": "draft", "currency": "USD",
            "notes": "", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200", "lines-0-description": "Consulting hour", "lines-0-quantity": "2",
            "lines-0-unit_price": "65.00"})

    def _api_post(self, path: str, body: dict[str, Any]) -> None:
        with self.client.post(f"/api/v1/companies/{self.company}/{path}", json=body, headers=self.api,
                              name="api create", catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {(response.text or '')[:200]}")

    @task(1)
    def create_contact_api(self) -> None:
        mark = uuid.uuid4().hex[:8]
        self._api_post("contacts/", {"name": f"Api Tester {mark}", "email": f"api.{mark}@example.com",
                                     "phone": "+92 300 1111111", "address": "2 Canal View\nLahore"})

    @task(1)
    def create_invoice_api(self) -> None:
        today = date.today()
        self._api_post("invoices/", {
            "contact": random.choice(self.owner["contacts"]), "number": f"API-{uuid.uuid4().hex[:10]}",
            "issue_date": today.isoformat(), "due_date": (today + timedelta(days=14)).isoformat(),
            "status": "draft", "currency": "USD",
            "lines": [{"description": "Delivery", "quantity": "1", "unit_price": "15.00"}]})


class ApiListUser(Owner):
    abstract = SCENARIO != "api-list"

    @task
    def contacts(self) -> None:
        self.api_get("contacts/", "api list contacts")


class BareListUser(Owner):
    abstract = SCENARIO != "bare-list"

    @task
    def contacts(self) -> None:
        with self.client.get(f"/bare/companies/{self.company}/contacts/", name="bare list contacts",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

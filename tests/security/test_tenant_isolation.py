"""RET-2, SAF-3: alice of acme never reaches globex's data, by any route, with any method.

The routes are read from the URLconf, so a new company-scoped page or API route is covered
the day it is added; a route with a ``pk`` whose model cannot be told fails the test until
it is classified here. The OpenAPI schema is checked against the same list.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Membership
from accounts.tenancy import tenant_context
from consent import invitations
from consent.models import Invitation
from ledger.models import BankAccount, BankConnection
from ledger.resources import BY_SLUG
from privacy import exports
from privacy import services as privacy_services
from privacy.models import DataExport
from tests.conftest import Tenant, add_member

pytestmark = [pytest.mark.django_db, pytest.mark.policy("RET-2"), pytest.mark.policy("SAF-3")]

METHODS = ("get", "post", "put", "patch", "delete")
SPECIAL_MODELS = {"ledger:bank-connections-disconnect": BankConnection, "consent:invitation-resend": Invitation,
                  "consent:invitation-revoke": Invitation, "ledger:bank-import-upload": BankAccount}


@dataclass(frozen=True)
class Route:
    name: str
    params: frozenset[str]
    defaults: dict[str, Any] = field(hash=False)
    callback: Any = field(hash=False)

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    def model(self) -> type | None:
        if "slug" in self.defaults:
            return BY_SLUG[self.defaults["slug"]].model
        view_class = getattr(self.callback, "cls", None)
        serializer = getattr(view_class, "serializer_class", None)
        if serializer is not None:
            return serializer.Meta.model
        return SPECIAL_MODELS.get(self.name)


def _walk(patterns: list[Any], namespace: str = "", params: frozenset[str] = frozenset()) -> list[Route]:
    routes = []
    for entry in patterns:
        names = params | frozenset(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += _walk(entry.url_patterns, inner, names)
        elif isinstance(entry, URLPattern) and entry.name:
            routes.append(Route(f"{namespace}{entry.name}", names, dict(entry.default_args), entry.callback))
    return routes


# Staff pages take a company id too; their own tests (tests/consent/test_support_access.py) cover them.
STAFF_ROUTES = {"consent:staff-company-data"}
COMPANY_ROUTES = sorted((r for r in _walk(get_resolver().url_patterns)
                         if "company_id" in r.params and r.name not in STAFF_ROUTES), key=lambda r: r.name)


def _ready_export(tenant: Tenant) -> DataExport:
    """A finished export of ``tenant`` with its file on disk (made once per test)."""
    with tenant_context(tenant.company.pk):
        export = DataExport.objects.filter(company=tenant.company, status=DataExport.Status.READY).first()
        if export is None:
            export = DataExport.objects.create(
                company=tenant.company, requested_by_id=tenant.owner.pk, status=DataExport.Status.READY,
                file_name=exports.new_file_name(tenant.company.pk), expires_at=timezone.now() + timedelta(hours=1))
            exports.file_path(export).write_bytes(b"PK\x05\x06" + bytes(18))  # an empty ZIP
    return export


def _invitation(tenant: Tenant) -> Invitation:
    """A pending invitation of ``tenant`` (made once per test), its name holding the tenant's secret."""
    with tenant_context(tenant.company.pk):
        found = Invitation.objects.filter(company=tenant.company, status=Invitation.Status.PENDING).first()
        return found or invitations.invite(company=tenant.company, name=f"{tenant.contact.name} Guest",
                                           email=f"invitee{tenant.company.pk}@guest.example", role="guest",
                                           actor=tenant.owner)


def _bank_import(tenant: Tenant) -> int:
    """An upload of ``tenant`` waiting for confirmation (made once per test), its rows holding the tenant's secret."""
    from ledger import imports
    from ledger.models import BankImport

    with tenant_context(tenant.company.pk):
        found = BankImport.objects.filter(company=tenant.company).first()
        statement = f"Date,Description,Amount\n2026-03-02,{tenant.contact.name} payment,10.00\n".encode()
        return (found or imports.upload_statement(company=tenant.company, actor=tenant.owner,
                                                  bank_account=tenant.bank_account, data=statement)).pk


def _membership(tenant: Tenant) -> Membership:
    """A guest's membership of ``tenant`` (made once per test): the member routes' object."""
    found = Membership.objects.filter(company=tenant.company, role=Membership.Role.GUEST).first()
    if found is None:
        user = add_member(tenant.company, email=f"guest{tenant.company.pk}@guest.example", role="guest")
        found = Membership.objects.get(company=tenant.company, user=user)
    return found


def _shutdown_token(tenant: Tenant, *, real: bool) -> str:
    """A working Shutdown Company link of the tenant's owner, or a made-up one."""
    if not real:
        return secrets.token_hex(32)
    from retention import services as retention_services
    from retention import tokens

    shutdown = retention_services.request_shutdown(company=tenant.company, actor=tenant.owner)
    return tokens.make_token(company_id=tenant.company.pk, owner_id=tenant.owner.pk, nonce=shutdown.nonce)


def _url(route: Route, company_id: int, objects: Tenant, *, own: bool = False) -> str:
    """``own``: the caller is ``objects``' owner, so the route may carry a secret only they hold."""
    kwargs: dict[str, Any] = {"company_id": company_id}
    if route.name == "retention:shutdown-confirm":
        kwargs["token"] = _shutdown_token(objects, real=own)
    if "export_id" in route.params:
        export = _ready_export(objects)
        kwargs.update(export_id=export.pk, token=privacy_services.download_token(export))
    if "pk" in route.params:
        model = route.model()
        assert model is not None, f"classify route {route.name}: which model does its pk name?"
        kwargs["pk"] = _invitation(objects).pk if model is Invitation else objects.objects()[model].pk
    if "import_id" in route.params:
        kwargs["import_id"] = _bank_import(objects)
    if "membership_id" in route.params:
        kwargs["membership_id"] = _membership(objects).pk
    return reverse(route.name, kwargs=kwargs)


def _client_for(route: Route, user: Any, client: Any, api_client: Any) -> Any:
    if route.is_api:
        _, token = AuthToken.objects.create(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api_client
    client.force_login(user)
    return client


def test_routes_were_found():
    names = {r.name for r in COMPANY_ROUTES}
    assert {"ledger:contacts-list", "ledger:invoices-detail", "api:contact-list", "api:invoice-detail",
            "accounts:manage"} <= names


@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.name)
def test_alice_gets_404_for_globex_by_every_method(route, acme, globex, client, api_client):
    http = _client_for(route, acme.owner, client, api_client)
    urls = {_url(route, globex.company.pk, globex)}
    if route.params & {"pk", "export_id"}:  # acme's own company in the URL, globex's object id
        urls.add(_url(route, acme.company.pk, globex))
    extra = {"format": "json"} if route.is_api else {}
    for url in urls:
        for method in METHODS:
            response = getattr(http, method)(url, data={"name": "hacked", "number": "X"}, **extra)
            assert b"GLOBEXSECRET" not in response.content
            if response.status_code == 405:  # allowed only where the route lacks the method altogether
                own = getattr(http, method)(_url(route, acme.company.pk, acme), data={}, **extra)
                assert own.status_code == 405, (method, url)
                continue
            assert response.status_code == 404, (method, url, response.status_code)
    with tenant_context(globex.company.pk):
        # Globex's invitation is still pending and its guest still a guest (when the route made them).
        assert not Invitation.objects.exclude(status=Invitation.Status.PENDING).exists()
        assert set(Membership.objects.filter(company=globex.company).values_list("role", flat=True)) <= {
            Membership.Role.OWNER, Membership.Role.GUEST}
        for record in globex.objects().values():
            fresh = type(record).objects.get(pk=record.pk)
            assert fresh.__dict__.keys() == record.__dict__.keys()
            assert {k: v for k, v in fresh.__dict__.items() if k != "_state"} == \
                   {k: v for k, v in record.__dict__.items() if k != "_state"}


@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.name)
def test_alice_reaches_her_own_company_by_the_same_route(route, acme, globex, client, api_client):
    """The 404s above are not a broken route: the same route serves acme to alice."""
    http = _client_for(route, acme.owner, client, api_client)
    response = http.get(_url(route, acme.company.pk, acme, own=True))
    assert response.status_code in (200, 405), response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"GLOBEXSECRET" not in body


def test_openapi_paths_are_all_covered(acme, globex, client):
    client.force_login(acme.owner)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    tested = {r.name for r in COMPANY_ROUTES}
    company_paths = [p for p in schema["paths"] if "{company_id}" in p]
    assert company_paths
    for path in company_paths:
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        match = resolve(concrete)
        assert f"{match.namespace}:{match.url_name}" in tested, path


@pytest.mark.policy("SAF-1")
def test_guest_reads_but_cannot_write(acme, guest, api_client):
    _, token = AuthToken.objects.create(user=guest)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    base = f"/api/v1/companies/{acme.company.pk}/contacts/"
    assert api_client.get(base).status_code == 200
    assert api_client.post(base, {"name": "New"}, format="json").status_code == 403
    assert api_client.delete(f"{base}{acme.contact.pk}/").status_code == 403


@pytest.mark.policy("SAF-1")
def test_member_can_write(acme, bob, api_client):
    _, token = AuthToken.objects.create(user=bob)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.post(f"/api/v1/companies/{acme.company.pk}/contacts/", {"name": "By Bob"}, format="json")
    assert response.status_code == 201, response.content

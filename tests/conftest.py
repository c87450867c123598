"""Shared fixtures: companies acme (alice owner, bob member, a guest) and globex (charlie owner).

The test database is created and migrated as the owner role; every test then runs as the
app role, exactly like the web app, so row-level security is in force in every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import setup_databases, teardown_databases

from accounts import services as account_services
from accounts.models import Company, Membership, User
from accounts.tenancy import tenant_context
from ledger import services as ledger_services
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice

PASSWORD = "a-long-test-password-42"


@contextmanager
def _default_alias_as_owner() -> Iterator[None]:
    default = connections["default"]
    owner = settings.DATABASES["owner"]
    saved = {key: default.settings_dict[key] for key in ("USER", "PASSWORD")}
    default.close()
    default.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"], OWNER_SESSION=True)
    try:
        yield
    finally:
        default.close()
        default.settings_dict.update(saved)
        default.settings_dict.pop("OWNER_SESSION", None)


@pytest.fixture(scope="session")
def django_db_setup(request: pytest.FixtureRequest, django_test_environment: None,
                    django_db_blocker: Any) -> Iterator[None]:
    """Create and migrate the test database as the owner; tests connect as the app role."""
    with django_db_blocker.unblock(), _default_alias_as_owner():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default", "owner"})
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            connection.close()
        with _default_alias_as_owner():
            teardown_databases(config, verbosity=0)


@pytest.fixture(autouse=True, scope="session")
def _flush_as_owner() -> Iterator[None]:
    """Transactional tests end with ``flush`` (TRUNCATE); only the owner may truncate.

    The app role has no TRUNCATE on purpose: TRUNCATE ignores row-level security.
    """
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> Any:
        if options.get("database") == "default":
            with _default_alias_as_owner():
                return original(self, **options)
        return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    from tests.policy_report import record

    record(report)


_session: list[pytest.Session] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    _session[:] = [session]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.policy_report import write_policy_report

    summary = write_policy_report(_session[0]) if _session else None
    if summary:
        terminalreporter.write_line(summary)


@dataclass
class Tenant:
    company: Company
    owner: User
    contact: Contact
    invoice: Invoice
    bank_account: BankAccount
    bank_connection: BankConnection
    bank_transaction: BankTransaction

    def objects(self) -> dict[type, Any]:
        return {Contact: self.contact, Invoice: self.invoice, BankAccount: self.bank_account,
                BankConnection: self.bank_connection, BankTransaction: self.bank_transaction}


def make_tenant(*, email: str, full_name: str, company_name: str, secret: str) -> Tenant:
    """A signed-up owner and one record of every ledger kind, holding ``secret`` in its PI."""
    owner = account_services.sign_up(email=email, password=PASSWORD, full_name=full_name, company_name=company_name)
    account_services.mark_email_verified(user=owner, how="link")  # as if the welcome email's link was followed
    company = Membership.objects.get(user=owner).company
    with tenant_context(company.pk):
        contact = ledger_services.create_record(
            company=company, model=Contact, actor=owner,
            fields={"name": f"{secret} Contact", "email": f"{secret.lower()}@client.example", "phone": "+1 555 0100",
                    "address": f"1 {secret} Street"},
        )
        invoice = ledger_services.save_invoice(
            company=company, actor=owner, invoice=None,
            fields={"contact": contact, "number": f"{secret}-001", "notes": f"{secret} notes"},
            lines=[{"description": f"{secret} work", "quantity": Decimal("2"), "unit_price": Decimal("50.00")}],
        )
        account = ledger_services.create_record(
            company=company, model=BankAccount, actor=owner,
            fields={"name": f"{secret} Main", "holder_name": f"{secret} Holder", "account_number": f"{secret}-ACC-42"},
        )
        connection = ledger_services.connect_bank(
            company=company, actor=owner, bank_account_id=account.pk, provider="Open Banking",
            login_name=f"{secret}-login", credentials=f"{secret}-bank-password",
        )
        transaction_ = ledger_services.create_record(
            company=company, model=BankTransaction, actor=owner,
            fields={"bank_account": account, "booked_on": "2026-01-15", "description": f"{secret} payment",
                    "counterparty": f"{secret} Payer", "amount": Decimal("12.34")},
        )
    return Tenant(company, owner, contact, invoice, account, connection, transaction_)


def add_member(company: Company, *, email: str, role: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=email.split("@")[0].title())
    account_services.add_member(company=company, user=user, role=role, actor=None)
    return user


@pytest.fixture
def acme(db: None) -> Tenant:
    return make_tenant(email="alice@acme.example", full_name="Alice Acme", company_name="Acme", secret="ACMESECRET")


@pytest.fixture
def globex(db: None) -> Tenant:
    return make_tenant(email="charlie@globex.example", full_name="Charlie Globex", company_name="Globex",
                       secret="GLOBEXSECRET")


@pytest.fixture
def alice(acme: Tenant) -> User:
    return acme.owner


@pytest.fixture
def bob(acme: Tenant) -> User:
    return add_member(acme.company, email="bob@acme.example", role=Membership.Role.MEMBER)


@pytest.fixture
def guest(acme: Tenant) -> User:
    return add_member(acme.company, email="guest@acme.example", role=Membership.Role.GUEST)


@pytest.fixture
def charlie(globex: Tenant) -> User:
    return globex.owner


@pytest.fixture
def broker() -> Iterator[Any]:
    """The private test Redis; stopped and restarted by the test, always left running."""
    var_dir = settings.TEST_REDIS_VAR_DIR
    assert var_dir is not None, "the outbox test needs the private local Redis"
    yield var_dir
    from softhelpers import localservers

    localservers.ensure_redis(var_dir)


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Each test starts with no sign-in, sign-up or token-request counts (they live in Redis, not the database)."""
    from django.core.cache import caches
    from redis.exceptions import RedisError

    def clear() -> None:
        try:
            caches["limits"].clear()
        except (RedisError, OSError):
            pass  # a test stopped the broker: the limits fail open until it is back

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _private_export_dir(settings: Any, tmp_path: Any) -> None:
    """Export files of one test never meet another's (the database rolls back, files would not)."""
    settings.PRIVACY_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def staff(db: None) -> User:
    """The Privacy Officer: staff in the least-privilege group, not a superuser (as manage.py create_officer makes)."""
    from accounts.officers import create_officer

    return create_officer(email="officer@softhelpers.example", password=PASSWORD, actor=None)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_user(email="root@softhelpers.example", password=PASSWORD, is_staff=True,
                                    is_superuser=True)


def wait_for(predicate: Any, timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass (for work done by other processes)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def in_parallel(count: int, call: Any, *, timeout: float = 60.0) -> list[Any]:
    """Run ``call`` in ``count`` threads released together by a barrier; their results, in finishing order.

    Each thread has its own database connection (closed after), so the calls race as requests do.
    """
    import threading

    from django.db import connection

    barrier, results = threading.Barrier(count), []

    def run() -> None:
        try:
            barrier.wait(10)
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def verified_login(client: Any, user: User) -> Any:
    """Log ``user`` in as after the password and the second step: a real confirmed authenticator-app device,
    and the session marked verified the way ``django_otp.login`` marks it. Staff need this for the admin."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True))
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


class OtpClock:
    """One pinned instant for TOTP codes and (unless ``django_too`` is false) Django's ``timezone.now``,
    which django-otp's throttling reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: Any, *, django_too: bool = True) -> None:
        from types import SimpleNamespace

        from django.utils import timezone
        from django_otp import oath
        from django_otp.plugins.otp_totp import models as totp_models

        self.now = now
        if django_too:  # browser tests pin only the codes' clock: a live server keeps its own time
            monkeypatch.setattr(timezone, "now", lambda: self.now)
        monkeypatch.setattr(oath, "time", lambda: self.now.timestamp())
        monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: self.now.timestamp()))

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)

    def code(self, device: Any) -> str:
        """The app's code now, by django-otp's own TOTP."""
        from django_otp.oath import totp

        return f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"

    def code_of_key(self, key: bytes) -> str:
        """The code an app shows now for a key typed in by hand (30-second steps, 6 digits)."""
        from django_otp.oath import totp

        return f"{totp(key):06d}"


@pytest.fixture
def otp_clock(monkeypatch: pytest.MonkeyPatch) -> OtpClock:
    from datetime import UTC, datetime

    return OtpClock(monkeypatch, datetime(2031, 3, 4, 9, 30, 7, tzinfo=UTC))

"""What sealing personal fields costs (RET-2, SHR-1), and how key rotation scales.

1. ``GET /api/v1/companies/{id}/contacts/?page_size=100`` through the real stack (middleware,
   auth, tenant, DRF), once for the real Contact (email, phone and address sealed with
   AES-256-GCM) and once for a twin table with the same rows in plain text columns, same
   row-level security, same view and serializer. Interleaved A/B, medians compared.
2. ``rotate_company_key`` over companies holding 25,000 and 100,000 sealed values: rows and
   values per second, and peak Python memory (tracemalloc), which must not grow with the rows.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import Any

from django.db import connection, connections, models
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Company, User
from accounts.tenancy import POLICY_EXPRESSION, TenantModel, tenant_context
from ledger.api import ContactViewSet
from ledger.models import Contact
from privacy import crypto, rotation
from privacy.fields import next_ids
from privacy.keys import active_key
from privacy.serializers import PlannedReadSerializer
from softhelpers import urls as project_urls

ROUNDS = 15
REPEAT = 10
CONTACTS = 100
PASSWORD = "bench-password-not-secret"
PLAIN_TABLE = "bench_plain_contact"


class PlainContact(TenantModel):
    """The twin of ledger.Contact with plain text columns (this benchmark only, not migrated)."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: models.Manager[PlainContact] = models.Manager()

    class Meta:
        app_label = "ledger"
        db_table = PLAIN_TABLE
        managed = False


class PlainContactSerializer(PlannedReadSerializer):
    class Meta:
        model = PlainContact
        fields = ["id", "name", "email", "phone", "address", "created_at"]


class PlainContactViewSet(ContactViewSet):
    serializer_class = PlainContactSerializer  # type: ignore[assignment]

    def records(self) -> Any:
        return PlainContact.objects.filter(company=self.company).order_by("name", "id")


urlpatterns = [
    path("bench/companies/<int:company_id>/plain-contacts/", PlainContactViewSet.as_view({"get": "list"})),
    *project_urls.urlpatterns,
]


def _owner_and_company(email: str, name: str) -> tuple[User, Company]:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = account_services.sign_up(email=email, password=PASSWORD, full_name="Bench Owner", company_name=name)
    return user, Company.objects.filter(memberships__user=user).order_by("id").first()  # type: ignore[return-value]


def _seed_contacts(company: Company, count: int) -> None:
    """``count`` contacts with three sealed fields each, inserted in bulk (as seed_demo does)."""
    from psycopg2.extras import execute_values

    with tenant_context(company.pk), connection.cursor() as cursor:
        key, now, rows = active_key(company.pk), timezone.now(), []
        for i, row_id in enumerate(next_ids(Contact, count)):
            place = lambda field, row_id=row_id: crypto.Place(company.pk, "ledger.Contact", field, row_id)  # noqa: E731
            rows.append([row_id, company.pk, f"Contact {i:06d}", now,
                         crypto.seal(f"person{i}@example.com", key=key, place=place("email")),
                         crypto.seal(f"+44 7700 {i:06d}", key=key, place=place("phone")),
                         crypto.seal(f"{i} High Street, Bath", key=key, place=place("address"))])
        execute_values(cursor, "INSERT INTO ledger_contact (id, company_id, name, created_at, email, phone, address) "
                               "VALUES %s", rows, page_size=2000)


def _plain_twin(company: Company) -> None:
    """The same contacts, plain, in a table with the same policy and grants."""
    with connections["owner"].cursor() as cursor:
        cursor.execute(f"""
            CREATE TABLE IF NOT EXISTS {PLAIN_TABLE} (
                id bigserial PRIMARY KEY, company_id bigint NOT NULL, name varchar(200) NOT NULL,
                email varchar(254) NOT NULL, phone varchar(40) NOT NULL, address text NOT NULL,
                created_at timestamptz NOT NULL);
            CREATE INDEX IF NOT EXISTS {PLAIN_TABLE}_company_name ON {PLAIN_TABLE} (company_id, name);
            ALTER TABLE {PLAIN_TABLE} ENABLE ROW LEVEL SECURITY;
            ALTER TABLE {PLAIN_TABLE} FORCE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS tenant_isolation ON {PLAIN_TABLE};
            CREATE POLICY tenant_isolation ON {PLAIN_TABLE} USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION});
            GRANT SELECT, INSERT, DELETE ON {PLAIN_TABLE} TO softhelpers_app;
            GRANT USAGE ON SEQUENCE {PLAIN_TABLE}_id_seq TO softhelpers_app;""")
    with tenant_context(company.pk):
        PlainContact.objects.filter(company=company).delete()
        PlainContact.objects.bulk_create([
            PlainContact(company=company, name=c.name, email=c.email, phone=c.phone, address=c.address,
                         created_at=c.created_at) for c in Contact.objects.filter(company=company)])


def _api_ratio() -> None:
    owner, company = _owner_and_company("bench-crypto@example.com", "Bench Crypto")
    with tenant_context(company.pk):
        missing = CONTACTS - Contact.objects.filter(company=company).count()
    if missing > 0:
        _seed_contacts(company, missing)
    _plain_twin(company)
    client = Client()
    client.force_login(owner)
    sealed_url = f"/api/v1/companies/{company.pk}/contacts/?page_size={CONTACTS}"
    plain_url = f"/bench/companies/{company.pk}/plain-contacts/?page_size={CONTACTS}"

    def timed(url: str) -> float:
        start = time.perf_counter()
        for _ in range(REPEAT):
            response = client.get(url)
            assert response.status_code == 200 and len(response.json()["results"]) == CONTACTS
        return (time.perf_counter() - start) / REPEAT

    with override_settings(ROOT_URLCONF=__name__):
        sealed_body, plain_body = client.get(sealed_url).json(), client.get(plain_url).json()
        assert [r["email"] for r in sealed_body["results"]] == [r["email"] for r in plain_body["results"]]
        sealed_times, plain_times = [], []
        for _ in range(ROUNDS):
            sealed_times.append(timed(sealed_url))
            plain_times.append(timed(plain_url))
    sealed, plain = statistics.median(sealed_times), statistics.median(plain_times)
    print(f"API list of {CONTACTS} contacts, 3 sealed fields each (median of {ROUNDS}×{REPEAT} requests):")
    print(f"  sealed (AES-256-GCM)   : {sealed * 1000:8.2f} ms")
    print(f"  plain twin table       : {plain * 1000:8.2f} ms")
    print(f"  ratio                  : {sealed / plain:8.2f}x   (goal ≤ 1.15, issue 16)")


def _rotation(values: int) -> tuple[float, float, int]:
    _, company = _owner_and_company(f"bench-rotate-{values}@example.com", f"Bench Rotate {values}")
    rows = values // 3
    with tenant_context(company.pk):
        missing = rows - Contact.objects.filter(company=company).count()
    if missing > 0:
        _seed_contacts(company, missing)
    total_rows = rotation.count_rows(company.pk)
    tracemalloc.start()
    start = time.perf_counter()
    result = rotation.rotate_company_key(company_id=company.pk, actor_id=None)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return total_rows / elapsed, result.values_resealed / elapsed, peak


def run() -> None:
    _api_ratio()
    print("Rotating one company's data key (batches of 2,000 rows, one transaction each):")
    for values in (25_000, 100_000):
        rows_per_s, values_per_s, peak = _rotation(values)
        print(f"  {values:>7,} sealed values: {rows_per_s:8,.0f} rows/s, {values_per_s:8,.0f} values/s, "
              f"peak Python memory {peak / 2**20:6.1f} MiB")

"""PUR-2, PUR-5, RET-5: daily statistics with no company or user id, shown only when they identify no one.

Every date is pinned: NOW is the tests' clock, passed to the code; the days counted lie before it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import override_settings

from accounts import services as account_services
from accounts.models import AuditEvent, Company, Membership, User
from accounts.tenancy import current_company_id, tenant_context
from consent import invitations
from consent import services as consent_services
from consent.models import Method
from ledger.models import Contact, Invoice
from privacy import reports, statistics
from privacy.exceptions import DayNotFinished
from privacy.models import DailyStatistic, MonthlyStatistic
from retention import purge
from retention import services as retention_services
from retention.models import LegalHold, ScheduledPurge
from tests.conftest import PASSWORD, verified_login

NOW = datetime(2031, 4, 2, 9, 30, tzinfo=UTC)
DAY = date(2031, 3, 4)
SIGNED_UP = datetime(2030, 6, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _company(index: int, *, name: str = "", email: str = "") -> tuple[Company, User]:
    owner = account_services.sign_up(email=email or f"owner-{index}@stats.example", password=PASSWORD,
                                     full_name=f"Owner {index}", company_name=name or f"Stats Company {index}")
    membership = Membership.objects.get(user=owner)
    # Made long before the pinned days, whatever today's date is.
    Company.objects.filter(pk=membership.company_id).update(created_at=SIGNED_UP)
    Membership.objects.filter(pk=membership.pk).update(created_at=SIGNED_UP)
    User.objects.filter(pk=owner.pk).update(date_joined=SIGNED_UP)
    return Company.objects.get(pk=membership.company_id), owner


def _invoices(company: Company, per_day: dict[date, int]) -> None:
    """``per_day[day]`` invoices created at noon (UTC) of each day, written straight into the company's rows."""
    with tenant_context(company.pk):
        contact = Contact.objects.create(company=company, name="Client")
        Invoice.objects.bulk_create([
            Invoice(company=company, contact=contact, number=f"{day:%Y%m%d}-{contact.pk}-{n}",
                    created_at=datetime.combine(day, time(12), tzinfo=UTC))
            for day, count in per_day.items() for n in range(count)])


def _companies(count: int, *, per_day: dict[date, int]) -> list[tuple[Company, User]]:
    made = [_company(index) for index in range(count)]
    for company, _ in made:
        _invoices(company, per_day)
    return made


def _stored() -> list[tuple[str, date, int, int, int]]:
    return sorted(DailyStatistic.objects.values_list("metric", "day", "value", "contributors", "largest"))


def _invoices_on(day: date) -> statistics.Cell:
    row = DailyStatistic.objects.get(metric="invoices", day=day)
    return statistics.cell(statistics.Figure(row.value, row.contributors, row.largest))


# --- storing ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
@pytest.mark.policy("RET-5")
def test_a_day_filled_twice_or_after_a_purge_keeps_the_same_rows_and_no_column_names_a_company_or_user():
    made = _companies(3, per_day={DAY: 2})
    company, owner = made[0]
    consent_services.set_user_consents(user=owner, choices={"newsletter": True}, method=Method.SETTINGS_FORM,
                                       actor=owner, now=datetime.combine(DAY, time(8), tzinfo=UTC))
    with tenant_context(company.pk):
        invitations.invite(company=company, name="Invitee", email="invitee@stats.example", role="guest", actor=owner,
                           now=datetime.combine(DAY, time(9), tzinfo=UTC))

    assert set(statistics.fill_day(day=DAY, now=NOW)) == set(statistics.METRICS)
    stored = _stored()
    assert ("invoices", DAY, 6, 3, 2) in stored
    assert ("invitations", DAY, 1, 1, 1) in stored and ("consents.newsletter", DAY, 1, 1, 1) in stored
    assert ("companies.active", DAY, 3, 3, 1) in stored and ("users", DAY, 3, 3, 1) in stored

    assert statistics.fill_day(day=DAY, now=NOW) == []
    closed = retention_services.close_company(company=company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                              now=NOW - timedelta(days=40))
    assert purge.purge_company(purge_id=closed.pk, as_of=closed.due_at) is purge.Result.DONE
    _invoices(made[1][0], {DAY: 5})  # rows that appear later do not reach a stored day either
    statistics.fill_day(day=DAY, now=NOW)
    assert _stored() == stored

    columns = {f.column for model in (DailyStatistic, MonthlyStatistic) for f in model._meta.concrete_fields}
    assert columns == {"id", "metric", "day", "month", "value", "contributors", "largest"}
    with pytest.raises(DayNotFinished):
        statistics.fill_day(day=NOW.date(), now=NOW)


@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
def test_the_beat_fills_the_recent_finished_days_once_and_names_a_registered_task(settings):
    due = statistics.fill_due(now=NOW, back_days=3)
    assert due == [NOW.date() - timedelta(days=n) for n in (3, 2, 1)]
    assert statistics.fill_due(now=NOW, back_days=3) == []
    assert DailyStatistic.objects.filter(day__in=due).count() == 3 * len(statistics.METRICS)

    from softhelpers.celery import app

    app.loader.import_default_modules()
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "privacy.fill_statistics" in beat and "privacy.fill_statistics" in app.tasks


@pytest.mark.django_db
def test_the_command_stores_one_finished_day_and_refuses_a_bad_or_unfinished_one(capsys):
    call_command("fill_statistics", day="2020-02-29")
    assert "2020-02-29" in capsys.readouterr().out
    assert DailyStatistic.objects.filter(day=date(2020, 2, 29)).count() == len(statistics.METRICS)
    for day, match in (("2020-02-30", "is not a date"), ("2999-01-01", "is not over yet")):
        with pytest.raises(CommandError, match=match) as refused:
            call_command("fill_statistics", day=day)
        assert "\n" not in str(refused.value)


# --- the rules ----------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
def test_nine_companies_read_fewer_than_ten_and_ten_are_shown(settings):
    later = DAY + timedelta(days=1)
    made = _companies(9, per_day={DAY: 1, later: 1})
    _invoices(_company(9)[0], {later: 1})
    statistics.fill_day(day=DAY, now=NOW)
    statistics.fill_day(day=later, now=NOW)

    nine, ten = _invoices_on(DAY), _invoices_on(later)
    assert (nine.shown, nine.value, nine.label) == (False, None, "fewer than 10")
    assert (ten.shown, ten.value, ten.label) == (True, 10, "10")
    assert len(made) == 9
    settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS = 11
    assert _invoices_on(later).label == "fewer than 11"


@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
@pytest.mark.policy("PUR-5")
def test_a_figure_one_company_supplies_more_than_seventy_percent_of_is_suppressed():
    at_limit, over = DAY, DAY + timedelta(days=1)
    made = _companies(9, per_day={at_limit: 1, over: 1})
    _invoices(_company(9)[0], {at_limit: 21, over: 22})  # 21 of 30 is 70%; 22 of 31 is 71%
    for day in (at_limit, over):
        statistics.fill_day(day=day, now=NOW)
    assert _invoices_on(at_limit).label == "30"
    suppressed = _invoices_on(over)
    assert (suppressed.shown, suppressed.value, suppressed.label) == (False, None, "suppressed")
    assert len(made) == 9


@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
def test_a_suppressed_day_among_shown_days_suppresses_its_month_and_a_month_of_shown_days_is_shown(staff):
    january = [date(2031, 1, 1) + timedelta(days=n) for n in range(31)]
    february = [date(2031, 2, 1) + timedelta(days=n) for n in range(28)]
    quiet = date(2031, 1, 14)  # one company has no invoice that day: nine contributors
    made = _companies(9, per_day=dict.fromkeys(january + february, 1))
    _invoices(_company(9)[0], dict.fromkeys([d for d in january if d != quiet] + february, 1))
    for day in january + february:
        statistics.fill_day(day=day, now=NOW)

    assert _invoices_on(quiet).label == "fewer than 10"
    assert _invoices_on(date(2031, 1, 15)).label == "10"
    month = MonthlyStatistic.objects.get(metric="invoices", month=date(2031, 1, 1))
    assert (month.value, month.contributors, month.largest) == (309, 10, 31)  # the sum of its days, ten companies
    report = reports.build(days=90, today=NOW.date(), user=staff)
    assert report.last == date(2031, 2, 28) and report.months[-2:] == [date(2031, 1, 1), date(2031, 2, 1)]
    row = next(r for r in report.month_rows if r.metric.name == "invoices")
    assert [c.label for c in row.cells[-2:]] == ["suppressed", "280"]
    users = next(r for r in report.month_rows if r.metric.name == "users")
    assert users.cells[-1].label == "10"  # a stock's month is its last day
    assert len(made) == 9


# --- the counting functions ---------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
@pytest.mark.policy("RET-2")
def test_the_app_role_gets_three_numbers_from_the_functions_and_still_no_tenant_row(acme, globex):
    _invoices(acme.company, {DAY: 2})
    _invoices(globex.company, {DAY: 1})
    assert Invoice.objects.count() == 0 and current_company_id() is None  # no company: no tenant row
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ledger_statistic('invoices', %s, %s)", [DAY, DAY + timedelta(days=1)])
        assert [c.name for c in cursor.description] == ["value", "contributors", "largest"]
        assert cursor.fetchall() == [(3, 2, 2)]
        cursor.execute("SELECT has_function_privilege('public', 'ledger_statistic(text, date, date)', 'EXECUTE'), "
                       "has_function_privilege('public', 'consent_statistic(text, date, date)', 'EXECUTE'), "
                       "has_function_privilege(current_user, 'ledger_statistic(text, date, date)', 'EXECUTE')")
        assert cursor.fetchone() == (False, False, True)
    with tenant_context(acme.company.pk):
        assert statistics.from_function("ledger_statistic", "invoices", DAY, DAY + timedelta(days=1)).value == 3
        assert current_company_id() == acme.company.pk  # the function put the caller's company back
        assert Invoice.objects.filter(company=globex.company).count() == 0
    assert Invoice.objects.count() == 0 and current_company_id() is None
    for metric in ("ledger_contact", "invoices'; SELECT 1; --", None):
        for function in ("ledger_statistic", "consent_statistic"):
            with pytest.raises(DatabaseError, match="no metric"), transaction.atomic(), connection.cursor() as c:
                c.execute(f"SELECT * FROM {function}(%s, %s, %s)", [metric, DAY, DAY + timedelta(days=1)])
    # One day or one calendar month only: no company's lifetime count, no arbitrary window.
    for first, end in ((DAY, DAY), (date(1900, 1, 1), date(2100, 1, 1)), (DAY, DAY + timedelta(days=2)),
                       (DAY, DAY + timedelta(days=31))):
        for function, metric in (("ledger_statistic", "invoices"), ("consent_statistic", "invitations")):
            with pytest.raises(DatabaseError, match="one day or one calendar month"), transaction.atomic(), \
                    connection.cursor() as c:
                c.execute(f"SELECT * FROM {function}(%s, %s, %s)", [metric, first, end])
    with pytest.raises(ValueError, match="not a statistic function"):
        statistics.from_function("retention_purge_rows", "invoices", DAY, DAY + timedelta(days=1))


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.policy("RET-2")
def test_the_functions_count_every_company_where_row_level_security_applies_to_their_owner(acme, globex):
    """In production the owner may be no superuser and then meets the forced policies too: the loop must
    make each company current. The same body as SECURITY INVOKER, run by the app role (always under RLS)."""
    _invoices(acme.company, {DAY: 2})
    _invoices(globex.company, {DAY: 1})
    body = ((ROOT / "ledger" / "statistics.sql").read_text()
            .replace("public.ledger_statistic(", "public.ledger_statistic_probe(").replace("SECURITY DEFINER", ""))
    app_role = connection.settings_dict["USER"]
    with connections["owner"].cursor() as cursor:
        cursor.execute(body)
        cursor.execute(f'GRANT EXECUTE ON FUNCTION public.ledger_statistic_probe(text, date, date) TO "{app_role}"')
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == (False,)
            cursor.execute("SELECT * FROM ledger_statistic_probe('invoices', %s, %s)", [DAY, DAY + timedelta(days=1)])
            assert cursor.fetchall() == [(3, 2, 2)]
    finally:
        with connections["owner"].cursor() as cursor:
            cursor.execute("DROP FUNCTION public.ledger_statistic_probe(text, date, date)")


@pytest.mark.policy("PUR-2")
@pytest.mark.parametrize(("minimum", "percent", "ok"), [
    (10, 70, True), (2, 100, True), (2, 1, True), (1, 70, False), (0, 70, False), (10, 0, False), (10, 101, False)])
def test_thresholds_that_would_show_one_company_are_refused_by_a_system_check(minimum, percent, ok):
    with override_settings(PRIVACY_AGGREGATE_MIN_CONTRIBUTORS=minimum, PRIVACY_AGGREGATE_DOMINANCE_PERCENT=percent):
        errors = [e for e in checks.run_checks() if e.id in {"privacy.E007", "privacy.E008"}]
    assert (errors == []) is ok


# --- the Reports page ---------------------------------------------------------------------------

ZEBULON = "Zebulon Quartz Ltd"
XYLOPHONE = "xylophone-9137@example.test"
COMPANY_ID, USER_ID = 918273, 564738  # distinctive ids, so that a leak could not hide among the counts


@pytest.fixture
def seeded(db):
    """Ten companies on the report's days, one of them Zebulon (closed, on hold) with a distinctive owner and ids."""
    with connections["owner"].cursor() as cursor:  # sequences ignore transactions: ids above anything a count reaches
        cursor.execute("SELECT setval('accounts_company_id_seq', GREATEST(%s, nextval('accounts_company_id_seq')))",
                       [COMPANY_ID])
        cursor.execute("SELECT setval('accounts_user_id_seq', GREATEST(%s, nextval('accounts_user_id_seq')))",
                       [USER_ID])
    zebulon, xylophone = _company(0, name=ZEBULON, email=XYLOPHONE)
    days = {DAY - timedelta(days=n): 1 for n in range(3)}
    _invoices(zebulon, days)
    for index in range(1, 10):
        _invoices(_company(index)[0], days)
    consent_services.set_user_consents(user=xylophone, choices={"newsletter": True}, method=Method.SETTINGS_FORM,
                                       actor=xylophone, now=datetime.combine(DAY, time(8), tzinfo=UTC))
    for day in days:
        statistics.fill_day(day=day, now=NOW)
    scheduled = retention_services.close_company(company=zebulon, actor=None, reason=ScheduledPurge.Reason.OFFICER, now=NOW,
                                                 note="Verified letter")
    retention_services.place_legal_hold(company=zebulon, actor=None, reason="Court order", reference="Case 12",
                                        review_on=scheduled.due_at.date() + timedelta(days=1))
    return zebulon, xylophone, scheduled


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db(databases=["default", "owner"])
@pytest.mark.policy("PUR-5")
@pytest.mark.policy("PUR-2")
def test_the_reports_page_and_csv_show_figures_and_no_name_email_or_id(client, staff, seeded, monkeypatch,
                                                                       django_assert_max_num_queries):
    zebulon, xylophone, scheduled = seeded
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)  # the report's "today"
    assert zebulon.pk >= COMPANY_ID and xylophone.pk >= USER_ID
    verified_login(client, staff)
    with django_assert_max_num_queries(24):  # a few reads whatever the number of days, metrics or companies
        page = client.get("/admin/reports/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    body = page.content.decode()
    download = client.get("/admin/reports/statistics.csv?days=90")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = _csv(download)
    text = download.content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg" width="600"' in body and "Upcoming purges" in body
    assert not re.search(r'(src|href)="(https?:)?//', body)  # nothing from another host: no CDN, no chart library
    assert f'{DAY:%Y-%m-%d}: 10' in body  # a shown day, as its bar's title
    assert ["invoices", DAY.isoformat(), "10"] in rows
    assert ["consents.newsletter", DAY.isoformat(), "fewer than 10"] in rows
    assert ["due.purges", f"{scheduled.due_at:%Y-%m-%d}", "1"] in rows
    assert ["due.holds", f"{scheduled.due_at.date() + timedelta(days=1):%Y-%m-%d}", "1"] in rows
    for content in (body, text):
        for secret in (ZEBULON, "Zebulon", "Quartz", XYLOPHONE, "xylophone", "example.test", "stats.example",
                       "Owner 1", str(zebulon.pk), str(xylophone.pk), "Verified letter", "Case 12"):
            assert secret not in content, secret
    assert {row[0] for row in rows[1:]} >= set(statistics.METRICS)
    assert AuditEvent.objects.filter(event=AuditEvent.Event.REPORTS_VIEWED, actor_id=staff.pk, company_id=None,
                                     data={"days": 30}).count() == 1
    assert AuditEvent.objects.filter(event=AuditEvent.Event.REPORTS_DOWNLOADED, actor_id=staff.pk,
                                     data={"days": 90}).count() == 1
    assert 'href="/admin/reports/"' in client.get("/admin/").content.decode()
    links = re.findall(r'<a href="([^"]+)">Open the list</a>', body)  # where the officer sees the ids
    assert len(links) == 3  # purges, legal holds, inquiries
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


@pytest.mark.django_db
@pytest.mark.policy("PUR-5")
@pytest.mark.parametrize("query", ["?company=1", "?company_id=1", "?user=1", "?user_id=1", "?days=30&company=1",
                                   "?days=7", "?days=all", "?q=Zebulon"])
def test_the_reports_take_no_company_or_user_parameter(client, staff, query):
    verified_login(client, staff)
    for url in ("/admin/reports/", "/admin/reports/statistics.csv"):
        refused = client.get(url + query)
        assert refused.status_code == 400, (url, query)
        assert b"only a period" in refused.content or b"The period is one of" in refused.content
    assert not AuditEvent.objects.filter(event__startswith="reports.").exists()


@pytest.mark.django_db
@pytest.mark.policy("PUR-5")
def test_staff_without_the_permission_and_plain_users_get_no_report(client, alice):
    clerk = User.objects.create_user(email="clerk@softhelpers.example", password=PASSWORD, is_staff=True)
    for url in ("/admin/reports/", "/admin/reports/statistics.csv"):
        verified_login(client, clerk)
        assert client.get(url).status_code == 403
        client.force_login(alice)
        refused = client.get(url)
        assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
        client.logout()
        assert client.get(url).status_code == 302
    verified_login(client, clerk)
    assert "/admin/reports/" not in client.get("/admin/").content.decode()
    assert not AuditEvent.objects.filter(event__startswith="reports.").exists()


@pytest.mark.django_db
@pytest.mark.policy("PUR-5")
def test_due_sections_count_per_date_from_today_and_only_for_holders_of_their_permission(acme, globex, staff):
    today = date(2031, 5, 1)
    soon = retention_services.close_company(company=acme.company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                            now=datetime(2031, 4, 20, 10, tzinfo=UTC))
    late = retention_services.close_company(company=globex.company, actor=None,
                                            reason=ScheduledPurge.Reason.OFFICER, now=datetime(2031, 3, 1, tzinfo=UTC))
    LegalHold.objects.create(company=globex.company, reason="Audit", reference="R1", review_on=date(2031, 4, 30))
    report = reports.build(days=30, today=today, user=staff)
    due = {table.section.key: table.due for table in report.due}
    assert due["purges"].per_day == [(soon.due_at.date(), 1)] and due["purges"].overdue == 1  # globex: held
    assert due["holds"].per_day == [] and due["holds"].overdue == 1
    assert due["holds"].link == "/admin/retention/legalhold/?released_at__isempty=1"
    assert late.due_at.date() < today
    clerk = User.objects.create_user(email="clerk@softhelpers.example", password=PASSWORD, is_staff=True)
    assert reports.build(days=30, today=today, user=clerk).due == []


@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
def test_a_month_one_company_dominated_stays_dominated_after_its_rows_are_gone():
    """Every day suppressed for dominance; by the month's end the rows expired or were purged."""
    month = date(2031, 2, 1)
    DailyStatistic.objects.bulk_create([
        DailyStatistic(metric=name, day=month + timedelta(days=n), value=40, contributors=13, largest=29)
        for name in statistics.METRICS for n in range(28)])
    statistics._fill_month(month, date(2031, 4, 1))  # the source now holds none of those rows
    stored = MonthlyStatistic.objects.get(metric="invoices", month=month)
    assert (stored.value, stored.largest) == (40 * 28, 29 * 28)
    figure = statistics.Figure(stored.value, stored.contributors, stored.largest)
    assert statistics.month_cell(kind=statistics.FLOW, month=figure, days=[]).label == "suppressed"


@pytest.mark.django_db
@pytest.mark.policy("RET-5")
def test_the_app_role_can_never_change_or_delete_a_stored_day_or_month():
    statistics.fill_day(day=DAY, now=NOW)
    for sql in ("UPDATE privacy_dailystatistic SET value = 0", "DELETE FROM privacy_dailystatistic",
                "DELETE FROM privacy_monthlystatistic", "TRUNCATE privacy_dailystatistic"):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert DailyStatistic.objects.filter(day=DAY).count() == len(statistics.METRICS)


@pytest.mark.django_db
@pytest.mark.policy("PUR-2")
def test_consents_count_companies_not_people_so_one_company_s_staff_cannot_make_a_figure():
    company, owner = _company(0)
    staff_of_one = [owner]
    for n in range(11):
        user = User.objects.create_user(email=f"staff{n}@one.example", password=PASSWORD)
        Membership.objects.create(company=company, user=user, role=Membership.Role.MEMBER)
        staff_of_one.append(user)
    at = datetime.combine(DAY, time(9), tzinfo=UTC)
    for user in staff_of_one:
        consent_services.set_user_consents(user=user, choices={"newsletter": True}, method=Method.SETTINGS_FORM,
                                           actor=user, now=at)
    figure = statistics.METRICS["consents.newsletter"].collect(DAY, DAY + timedelta(days=1))
    assert (figure.value, figure.contributors, figure.largest) == (12, 1, 12)
    assert statistics.cell(figure).label == "fewer than 10"

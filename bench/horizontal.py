"""The load test's last phase (issue 16): horizontal scale, two web processes and two workers on one database.

The stack ``bench/load.py`` started already has two gunicorn web processes and one Celery worker;
this phase starts a second worker instance (``worker2@<host>``: ``softhelpers.run``'s worker command
line with its own hostname and process group, in the stack's environment), so two instances consume
the one queue. While a Locust mix step runs against the stack, a side driver makes work for them
through the real paths:

* invoice emails: ``POST /api/v1/companies/{id}/invoices/{pk}/send/`` with each owner's API token
  (one ``ledger.invoice_email`` outbox row each);
* an export of each bench owner's company: the owner's export page, ``POST /companies/{id}/export/``
  with a page session and its CSRF token (an outbox row that starts ``privacy.build_export``);
* a purge: a throwaway company (``seed_demo``, ``PURGE_ROWS`` rows) closed by
  ``retention.services.close_company`` with its ``ScheduledPurge`` made due now (as
  tests/ops/test_horizontal_scale.py does), and ``retention.run_due_purges`` sent to the queue;
* and every piece of that work sent once more, as a broker redelivery or the outbox sweep would
  (``outbox.deliver`` per row, ``privacy.build_export`` per export, a second ``run_due_purges``), so
  the two instances really race for each claim.

Then it waits (at most ``WAIT_SECONDS``) until the work is done and the queue is empty, and checks
from the database and the mail directory that each happened exactly once: every outbox row of the
phase delivered with one attempt and one ``.eml`` per invoice email, one ready export per company
with one ``EXPORT_READY`` event and no job or partial file left, one deletion certificate and one
``PURGE_STARTED`` / ``PURGE_COMPLETED`` event; and, from Celery's remote control, how many tasks each
instance ran. A failed check ends the bench with a non-zero exit.

Clean-up leaves ``var/bench-load`` as the next run needs it: the second worker is stopped, each
export is downloaded once through its page link (which deletes its file, as for a real owner), and
the throwaway company is purged (a tombstone); the bench owners and their companies are untouched
but for the sent invoices (Draft becomes Sent) and the owners' addresses counted as verified (the
export requires it).

The steps that need Django run as ``python -m bench.horizontal setup|kick|verify`` in the bench var
dir's environment (``bench.load._env``) and hand back JSON files under ``var/bench-load``.
"""

from __future__ import annotations

import http.cookies
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from bench import load

USERS = int(os.environ.get("BENCH_LOAD_HORIZONTAL_USERS", "8"))
SECONDS = max(load.STEP_SECONDS, 20)  # long enough for the exports to be built while the load runs
INVOICES_PER_OWNER = 6
PURGE_ROWS = 400
WAIT_SECONDS = 120  # after the load step, for the work to be finished
SECOND_WORKER = "worker2"
FIRST_WORKER = "celery"  # Celery's default node name: softhelpers.run gives its worker none
_STATE = load.VAR_DIR / "horizontal-state.json"


def _hostnames() -> list[str]:
    return [f"{name}@{socket.gethostname()}" for name in (FIRST_WORKER, SECOND_WORKER)]


# --- the main process: the second worker, the side driver, the table ----------------------------------

class SecondWorker(load.ProcessGroup):
    """``softhelpers.run``'s worker command line as ``worker2@%h``, in its own process group.

    Stopped as a group: SIGTERM is Celery's warm shutdown, so its tasks finish first."""

    def __init__(self) -> None:
        from softhelpers.run import _commands, _die_with_parent

        command = [*_commands(load.VAR_DIR, "0")["worker"], "--hostname", f"{SECOND_WORKER}@%h"]
        self.log = (load.VAR_DIR / "worker2.log").open("w")
        self.process = subprocess.Popen(command, cwd=load.ROOT, env=load._env(), stdout=self.log,  # noqa: S603
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_die_with_parent)  # noqa: PLW1509  (gone if the bench dies)


def _in_env(step: str, timeout: float, **extra: str) -> dict[str, Any]:
    """Run ``python -m bench.horizontal <step>`` in the bench var dir's environment; its JSON answer."""
    answer = load.VAR_DIR / f"horizontal-{step}.json"
    answer.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", "bench.horizontal", step], cwd=load.ROOT,  # noqa: S603
                          env=load._env(**extra), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not answer.exists():
        raise SystemExit(f"bench.horizontal {step} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(answer.read_text()))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 comes back as an HTTPError, to be read as such


_browser = urllib.request.build_opener(_NoRedirect)


def _page(base: str, cookies: dict[str, str], path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    """GET (or POST ``form``) a page with a session's cookies, keeping any cookie the answer sets."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Referer": base + path}
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        response = _browser.open(request, timeout=60)
    except urllib.error.HTTPError as exc:
        response = exc
    for header in response.headers.get_all("Set-Cookie") or []:
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie(header)
        cookies.update({name: morsel.value for name, morsel in jar.items()})
    return response.status, response.read().decode(errors="replace")


def _send_invoices(base: str, owners: list[dict[str, Any]]) -> dict[str, int]:
    """Send to contact, through the API: ``INVOICES_PER_OWNER`` different invoices of each owner."""
    answered = {"queued": 0, "refused": 0}
    for owner in owners:
        chosen = random.sample(owner["invoices"], min(len(owner["invoices"]), INVOICES_PER_OWNER * 3))
        queued = 0
        for invoice in chosen:
            if queued == INVOICES_PER_OWNER:
                break
            request = urllib.request.Request(
                f"{base}/api/v1/companies/{owner['company_id']}/invoices/{invoice}/send/", data=b"", method="POST",
                headers={"Authorization": f"Token {owner['token']}", "Accept": "application/json"})
            try:
                body = json.load(urllib.request.urlopen(request, timeout=60))  # noqa: S310  (loopback, ours)
            except urllib.error.HTTPError as exc:
                if exc.code != 409:  # 409: void, or a contact without an address: take another invoice
                    raise SystemExit(f"sending invoice {invoice} answered {exc.code}") from exc
                answered["refused"] += 1
                continue
            if body.get("queued"):
                queued += 1
        answered["queued"] += queued
    return answered


def _request_exports(base: str, owners: list[dict[str, Any]]) -> int:
    """The owner's export page: its form's CSRF token, then the POST that prepares an export."""
    asked = 0
    for owner in owners:
        cookies = dict(owner["sessions"][0])
        path = f"/companies/{owner['company_id']}/export/"
        status, page = _page(base, cookies, path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"the export page of company {owner['company_id']} answered {status}")
        status, _ = _page(base, cookies, path, {"csrfmiddlewaretoken": token.group(1)})
        if status != 302:
            raise SystemExit(f"preparing the export of company {owner['company_id']} answered {status}")
        asked += 1
    return asked


def _download_exports(base: str, owners: list[dict[str, Any]], exports: list[dict[str, Any]]) -> int:
    """Each ready export once, by the link on its page, as the owner would: its file is deleted as it goes."""
    by_company = {owner["company_id"]: owner for owner in owners}
    downloaded = 0
    for export in exports:
        if export["export_id"] is None:
            continue
        owner = by_company[export["company_id"]]
        cookies = dict(owner["sessions"][0])
        _, page = _page(base, cookies, f"/companies/{owner['company_id']}/export/")
        link = re.search(rf'href="(/companies/{owner["company_id"]}/export/{export["export_id"]}/download/[^"]+)"',
                         page)
        if link is None:
            continue
        status, body = _page(base, cookies, link.group(1))
        downloaded += status == 200 and body.startswith("PK")
    return downloaded


def phase(stack: Any, live: Path) -> None:
    """Two web processes and two worker instances under the load, each claim taken once; SystemExit if not."""
    owners = json.loads(live.read_text())["owners"]
    print(f"\n-- horizontal scale under load: two web processes, two worker instances, one database "
          f"({USERS} users' mix for {SECONDS} s while the workers share the work) --")
    worker2 = SecondWorker()
    outcome: dict[str, Any] = {}
    try:
        setup = _in_env("setup", 300)
        web = sorted(stack.groups()["web"], key=lambda p: p.create_time())
        print(f"   web: gunicorn master {web[0].pid if web else '?'}, web processes "
              + ", ".join(str(p.pid) for p in web[1:]))
        print("   worker instances: " + "; ".join(
            f"{name} {info['pid']} (pool {', '.join(map(str, info['pool']))})" for name, info in sorted(setup["workers"].items())))

        def groups() -> dict[str, list[psutil.Process]]:
            found = stack.groups()
            return {**found, "worker": found["worker"] + worker2.processes()}

        def mix() -> None:
            try:
                outcome["mix"] = load._locust("mix", stack.base, USERS, SECONDS, live, groups, name="horizontal-mix")
            except BaseException as exc:  # noqa: BLE001  (read in the main thread)
                outcome["error"] = exc

        started = time.time()
        runner = threading.Thread(target=mix, daemon=True)
        runner.start()
        time.sleep(1)  # the users have spawned
        sent = _send_invoices(stack.base, owners)
        asked = _request_exports(stack.base, owners)
        kick = _in_env("kick", 120)
        runner.join()
        if "error" in outcome:
            raise outcome["error"]
        verified = _in_env("verify", WAIT_SECONDS + 120, BENCH_HORIZONTAL_STARTED=str(started))
        downloaded = _download_exports(stack.base, owners, verified["exports"])
    finally:
        worker2.stop()
    _print(outcome["mix"], sent, asked, kick, verified, downloaded)
    if verified["failures"]:
        raise SystemExit("horizontal scale: not exactly once: " + "; ".join(verified["failures"]))


def _after(seconds: float | None) -> str:
    return "not done" if seconds is None else f"+{seconds:.1f} s"


def _print(mix: Any, sent: dict[str, int], asked: int, kick: dict[str, Any], verified: dict[str, Any],
           downloaded: int) -> None:
    t = mix.total
    print(f"   mix under the work: {t.rps:.1f} req/s, p50 {t.p50:.0f} / p95 {t.p95:.0f} / p99 {t.p99:.0f} ms, "
          f"{t.failures} errors; web {load._mb(mix.rss.get('web', 0)).strip()} MB, "
          f"workers {load._mb(mix.rss.get('worker', 0)).strip()} MB (peak RSS)")
    for line in mix.failures[:5]:
        print(f"   ! {line}")
    print(f"   work made: {sent['queued']} invoices sent to contact ({sent['refused']} refused: void or no address), "
          f"{asked} exports requested, 1 company closed and its purge due; sent again to the queue: "
          f"{kick['deliveries']} outbox deliveries, {kick['builds']} export builds, {kick['purge_runs']} purge runs")
    at = _after
    times = [e["finished_after"] for e in verified["exports"]] + [verified["purge_after"], verified["outbox_after"]]
    print("   finished: " + ", ".join(f"company {e['company_id']}'s export ({e['rows']:,} rows) {at(e['finished_after'])}"
                                      for e in verified["exports"])
          + f"; company {verified['purge_company_id']}'s purge ({verified['purged_rows']:,} rows) "
          f"{at(verified['purge_after'])}; the last outbox row {at(verified['outbox_after'])}")
    last = None if None in times else max(times)
    print(f"   all done {at(last)} after the load began (the step lasted {SECONDS} s); "
          f"{downloaded} exports then downloaded once by their page link (files deleted)")
    print(f"\n   {'exactly once':<56}{'expected':>9}{'seen':>7}")
    for check in verified["checks"]:
        mark = "ok" if check["ok"] else "FAIL"
        print(f"   {check['what']:<56}{check['expected']:>9}{check['seen']:>7}  {mark}")
    tasks = verified["tasks"]
    names = sorted({name for per in tasks.values() for name in per})
    workers = sorted(tasks)
    print(f"\n   {'tasks run in this phase':<34}" + "".join(f"{w:>24}" for w in workers))
    for name in names:
        print(f"   {name:<34}" + "".join(f"{tasks[w].get(name, 0):>24}" for w in workers))
    print(f"   {'in all':<34}" + "".join(f"{sum(tasks[w].values()):>24}" for w in workers))


# --- in the bench var dir's environment (Django set up for it) ----------------------------------------

def _django() -> None:
    """Django for the bench's own stack only: these steps seed, close and purge companies."""
    if (os.environ.get("SOFTHELPERS_ENV") != "local" or os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL")
            or Path(os.environ.get("SOFTHELPERS_VAR_DIR", "")).resolve() != load.VAR_DIR.resolve()):
        raise SystemExit("bench.horizontal's steps run only in bench.load's environment (its own var directory, "
                         "embedded servers); run `python -m bench load` or `python -m bench.load horizontal`")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers.localservers import bootstrap

    bootstrap()
    import django

    django.setup()


def _answer(step: str, value: dict[str, Any]) -> None:
    (load.VAR_DIR / f"horizontal-{step}.json").write_text(json.dumps(value, default=str))


def _tasks_run() -> dict[str, dict[str, Any]]:
    """Per worker instance: its pid, its pool's pids and how many tasks of each name it has run."""
    from softhelpers.celery import app

    stats = app.control.inspect(destination=_hostnames(), timeout=5).stats() or {}
    return {worker: {"pid": info.get("pid"), "pool": info.get("pool", {}).get("processes", []),
                     "total": info.get("total", {})} for worker, info in stats.items()}


def setup() -> None:
    """Both instances answer; the baseline (outbox, audit, mail, tasks run); the owners' addresses
    verified; the throwaway company seeded, closed and its purge due now."""
    _django()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import AuditEvent, Membership, OutboxMessage, User
    from accounts.tenancy import tenant_context
    from privacy.models import DataExport
    from retention import services as retention_services
    from retention.models import ScheduledPurge
    from softhelpers.celery import app

    deadline = time.monotonic() + 90
    while len(app.control.ping(destination=_hostnames(), timeout=1) or []) < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"both worker instances should answer {_hostnames()}; see {load.VAR_DIR / 'worker2.log'}")
        time.sleep(0.5)
    workers = _tasks_run()
    if len(workers) < 2:
        raise SystemExit(f"Celery stats came from {sorted(workers)} only")

    owners = json.loads(load.STATE.read_text())["owners"]
    export_ids = {}
    for owner in owners:
        with tenant_context(int(owner["company_id"])):
            export_ids[str(owner["company_id"])] = DataExport.objects.aggregate(m=Max("pk"))["m"] or 0
    for owner in owners:  # the export goes to the owner's address: it must count as proven (CON-4)
        account_services.mark_email_verified(user=User.objects.get(email=owner["email"]), how="operator")
    baseline = {
        "outbox_id": OutboxMessage.objects.aggregate(m=Max("pk"))["m"] or 0,
        "audit_id": AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0,
        "mail_after": f"{timezone.now():%Y%m%dT%H%M%S%f}",  # .eml names start with their time
        "tasks": {worker: info["total"] for worker, info in workers.items()},
        "export_ids": export_ids,
    }
    stamp = f"{timezone.now():%Y%m%d%H%M%S}"
    email, name = f"bench-purge-{stamp}@example.com", f"Bench Purge {stamp}"
    call_command("seed_demo", email=email, password=load.PASSWORD, company=name, size=PURGE_ROWS, verbosity=0)
    membership = Membership.objects.select_related("company", "user").get(user__email=email, company__name=name)
    purge = retention_services.close_company(company=membership.company, actor=membership.user,
                                             reason=ScheduledPurge.Reason.OWNER)
    with transaction.atomic(), tenant_context(membership.company_id):
        ScheduledPurge.objects.filter(pk=purge.pk).update(due_at=purge.closed_at)  # due now
    state = {**baseline, "owners": [{"email": o["email"], "company_id": o["company_id"]} for o in owners],
             "purge_id": purge.pk, "purge_company_id": membership.company_id}
    _STATE.write_text(json.dumps(state))
    _answer("setup", {"workers": {worker: {"pid": info["pid"], "pool": info["pool"]} for worker, info in workers.items()}})


def _phase_exports(state: dict[str, Any]) -> dict[int, list[Any]]:
    from accounts.tenancy import tenant_context
    from privacy.models import DataExport

    found = {}
    for owner in state["owners"]:
        company_id = int(owner["company_id"])
        with tenant_context(company_id):
            found[company_id] = list(DataExport.objects.filter(
                company_id=company_id, pk__gt=state["export_ids"][str(company_id)]).order_by("pk"))
    return found


def kick() -> None:
    """Send every piece of the phase's work to the queue once more, as a redelivery or the sweep would."""
    _django()
    from accounts.models import OutboxMessage
    from softhelpers.celery import app

    state = json.loads(_STATE.read_text())
    purge_runs = 2  # the beat's hourly run, now, and a second one at the same moment
    for _ in range(purge_runs):
        app.send_task("retention.run_due_purges")
    rows = list(OutboxMessage.objects.filter(pk__gt=state["outbox_id"]).values_list("pk", flat=True))
    for pk in rows:
        app.send_task("outbox.deliver", kwargs={"message_id": pk})
    builds = 0
    for company_id, exports in _phase_exports(state).items():
        for export in exports:
            app.send_task("privacy.build_export", kwargs={"company_id": company_id, "export_id": export.pk})
            builds += 1
    _answer("kick", {"deliveries": len(rows), "builds": builds, "purge_runs": purge_runs})


def verify() -> None:
    """Wait (bounded) for the work and an empty queue, then count, from the database, the mail directory
    and Celery's remote control, how often each thing happened."""
    _django()
    from email import policy as email_policy
    from email.parser import BytesParser

    from django.conf import settings

    from accounts.emails import COMPANY_HEADER
    from accounts.models import AuditEvent, OutboxMessage
    from accounts.tenancy import tenant_context
    from ledger import invoicing
    from ledger.models import Invoice
    from privacy import exports as privacy_exports
    from privacy.models import DataExport, ExportJob
    from retention.models import DeletionCertificate, ScheduledPurge
    from softhelpers.celery import app

    state = json.loads(_STATE.read_text())
    started = float(os.environ["BENCH_HORIZONTAL_STARTED"])
    phase_rows = OutboxMessage.objects.filter(pk__gt=state["outbox_id"])

    def work_done() -> bool:
        exports_open = any(e.status in privacy_exports.OPEN_STATES
                           for found in _phase_exports(state).values() for e in found)
        purged = ScheduledPurge.objects.get(pk=state["purge_id"]).state == ScheduledPurge.State.DONE
        return purged and not exports_open and not phase_rows.filter(delivered_at=None).exists()

    def idle() -> bool:
        inspect = app.control.inspect(destination=_hostnames(), timeout=2)
        busy = [t for answer in (inspect.active() or {}, inspect.reserved() or {}) for ts in answer.values() for t in ts]
        with app.connection_for_read() as connection:
            channel: Any = connection.default_channel  # declared as the workers declare it: idempotent
            queued = channel.queue_declare(queue=app.conf.task_default_queue).message_count
        return not busy and not queued

    deadline = time.monotonic() + WAIT_SECONDS
    while not work_done() and time.monotonic() < deadline:
        time.sleep(0.5)
    calm = 0  # every task taken from the queue has run: nothing more can happen
    while calm < 2 and time.monotonic() < deadline + 30:
        calm = calm + 1 if idle() else 0
        time.sleep(0.5)

    checks: list[dict[str, Any]] = []

    def check(what: str, expected: int, seen: int) -> None:
        checks.append({"what": what, "expected": expected, "seen": seen, "ok": expected == seen})

    rows = list(phase_rows)
    check("outbox: rows of the phase delivered", len(rows), sum(r.delivered_at is not None for r in rows))
    check("outbox:   ... each by one claimed attempt", len(rows), sum(r.attempts == 1 for r in rows))
    invoice_rows = [r for r in rows if r.handler == invoicing.EMAIL_HANDLER]
    expected_subjects: dict[tuple[str, str], int] = {}
    for row in invoice_rows:
        company_id = int(row.payload["company_id"])
        with tenant_context(company_id):
            invoice = Invoice.objects.select_related("company").get(company_id=company_id, pk=row.payload["invoice_id"])
            key = (str(company_id), f"Invoice {invoice.number} from {invoice.company.name}")
        expected_subjects[key] = expected_subjects.get(key, 0) + 1
    parser = BytesParser(policy=email_policy.default)
    files: dict[tuple[str, str], int] = {}
    for path in Path(settings.MAIL_DIR).glob("*.eml"):
        if path.name <= state["mail_after"]:
            continue
        with path.open("rb") as handle:
            headers = parser.parse(handle, headersonly=True)
        key = (str(headers.get(COMPANY_HEADER, "")), " ".join(str(headers.get("Subject", "")).split()))
        if key in expected_subjects:
            files[key] = files.get(key, 0) + 1
    mail_dir = Path(settings.MAIL_DIR).relative_to(load.ROOT) if settings.MAIL_DIR.is_relative_to(load.ROOT) else settings.MAIL_DIR
    check("outbox: invoice emails with one .eml each", len(invoice_rows),
          sum(n for key, n in expected_subjects.items() if files.get(key, 0) == n))
    check(f"outbox:   ... their .eml files in {mail_dir}", len(invoice_rows), sum(files.values()))

    export_rows = []
    for company_id, found in _phase_exports(state).items():
        with tenant_context(company_id):
            events = AuditEvent.objects.filter(company_id=company_id, pk__gt=state["audit_id"])
            ready = [e for e in found if e.status == DataExport.Status.READY]
            left = sum(ExportJob.objects.filter(export_id=e.pk).count() + len(privacy_exports.partial_files(e))
                       for e in found)
            check(f"export of company {company_id}: requested", 1, len(found))
            check(f"export of company {company_id}:   ... ready, its file there", 1,
                  sum(privacy_exports.file_path(e).exists() for e in ready))
            check(f"export of company {company_id}:   ... EXPORT_READY events", 1,
                  events.filter(event=AuditEvent.Event.EXPORT_READY).count())
            check(f"export of company {company_id}:   ... failed, jobs, .part left", 0,
                  events.filter(event=AuditEvent.Event.EXPORT_FAILED).count() + left)
            export_rows.append({"company_id": company_id, "export_id": ready[0].pk if len(ready) == 1 else None,
                                "rows": ready[0].rows_written if ready else 0,
                                "finished_after": ready[0].finished_at.timestamp() - started if ready else None})

    purge = ScheduledPurge.objects.get(pk=state["purge_id"])
    company_id = state["purge_company_id"]
    with tenant_context(company_id):
        events = AuditEvent.objects.filter(company_id=company_id, pk__gt=state["audit_id"])
        check(f"purge of company {company_id}: done", 1, int(purge.state == ScheduledPurge.State.DONE))
        check(f"purge of company {company_id}:   ... certificates", 1,
              DeletionCertificate.objects.filter(purge_id=purge.pk).count())
        check(f"purge of company {company_id}:   ... PURGE_STARTED events", 1,
              events.filter(event=AuditEvent.Event.PURGE_STARTED).count())
        check(f"purge of company {company_id}:   ... PURGE_COMPLETED events", 1,
              events.filter(event=AuditEvent.Event.PURGE_COMPLETED).count())

    now_run = _tasks_run()
    tasks = {}
    for worker in _hostnames():
        before = state["tasks"].get(worker, {})
        after = now_run.get(worker, {}).get("total", {})
        tasks[worker] = {name: n - before.get(name, 0) for name, n in after.items() if n - before.get(name, 0)}
    check("worker instances that ran tasks", 2, sum(1 for per in tasks.values() if sum(per.values())))
    failures = [f"{c['what'].strip(' .')}: {c['seen']} (expected {c['expected']})" for c in checks if not c["ok"]]
    if not work_done():
        failures.insert(0, f"the work was not done within {WAIT_SECONDS} s")
    _answer("verify", {"checks": checks, "failures": failures, "tasks": tasks, "exports": export_rows,
                       "purged_rows": purge.rows_done, "purge_company_id": company_id,
                       "purge_after": purge.finished_at.timestamp() - started if purge.finished_at else None,
                       "outbox_after": max((r.delivered_at.timestamp() - started for r in rows if r.delivered_at),
                                           default=None)})


if __name__ == "__main__":
    steps = {"setup": setup, "kick": kick, "verify": verify}
    if sys.argv[1:2] == [] or sys.argv[1] not in steps:
        raise SystemExit(f"usage: python -m bench.horizontal {'|'.join(steps)}")
    steps[sys.argv[1]]()

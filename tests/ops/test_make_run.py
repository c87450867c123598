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
from pathlib import Path

import psutil

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
        assert "Welcome to Soft Helpers" in next(mail_dir.glob("*.eml")).read_text()

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
    finally:
        code = runner.interrupt()
    assert code == 0, runner.output()
    assert _wait(lambda: not _processes_using(var_dir), 20), [p.info["cmdline"] for p in _processes_using(var_dir)]
    assert "Stopped." in runner.output()


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

"""`make run` end to end: a fresh var/, web + worker + beat, a real email, then Ctrl-C stops it all."""

from __future__ import annotations

import http.cookiejar
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


def test_make_run_serves_delivers_mail_and_stops_cleanly(tmp_path):
    var_dir, port = tmp_path / "var", _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    env.update(SOFTHELPERS_VAR_DIR=str(var_dir), PORT=str(port), OUTBOX_SWEEP_SECONDS="2")
    log = (tmp_path / "run.log").open("w")
    runner = subprocess.Popen([sys.executable, "-m", "softhelpers.run"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(lambda: urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200, 90), \
            (tmp_path / "run.log").read_text()[-3000:]
        health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=5))
        assert health == {"status": "ok", "database": "ok", "broker": "ok"}

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
    finally:
        runner.send_signal(signal.SIGINT)
        code = runner.wait(timeout=60)
        log.close()
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    assert _wait(lambda: not _processes_using(var_dir), 20), [p.info["cmdline"] for p in _processes_using(var_dir)]
    assert "Stopped." in (tmp_path / "run.log").read_text()


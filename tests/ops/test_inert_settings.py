"""Importing the settings starts no server and writes no file; the entry points do (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from softhelpers import localservers

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["softhelpers.settings", "softhelpers.settings_test"])
def test_importing_the_settings_and_setting_up_django_changes_nothing(tmp_path, module):
    var_dir = tmp_path / "var"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PRIVACY_MASTER_KEY"}}
    env.update(SOFTHELPERS_ENV="local", SOFTHELPERS_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=module)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.DATABASES['owner']['HOST'], settings.CELERY_BROKER_URL, settings.DEBUG)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(var_dir / "pg") in result.stdout  # it names the servers it would use…
    assert result.stdout.split()[-1] == "False"  # make run shows our error pages, not Django's technical ones
    assert not var_dir.exists()  # …and makes nothing: no key file, no data directory, no socket
    running = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(
        p.info["cmdline"] or [])]
    assert running == []


def test_the_named_servers_are_the_ones_bootstrap_starts():
    var_dir = localservers.default_var_dir()
    assert localservers.ensure_postgres(var_dir) == localservers.postgres_url(var_dir)
    assert localservers.redis_url(settings.TEST_REDIS_VAR_DIR) == settings.CELERY_BROKER_URL


def test_a_worker_started_on_its_own_brings_up_its_servers_and_keys_before_reading_the_settings(tmp_path):
    var_dir = tmp_path / "var"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PRIVACY_MASTER_KEY"}}
    env.update(SOFTHELPERS_ENV="local", SOFTHELPERS_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="softhelpers.settings")
    try:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", "from softhelpers.celery import app; app.loader.init_worker(); "
                                   "from django.conf import settings; "
                                   "print(len(settings.PRIVACY_MASTER_KEYS), bool(settings.SECRET_KEY))"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["1", "True"]
        assert localservers.redis_ping(localservers.redis_socket_path(var_dir))
    finally:
        localservers.stop_postgres(var_dir)
        localservers.stop_redis(var_dir)

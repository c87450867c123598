"""The deployment files say what the settings read (docker is not runnable here; the files are)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _settings_variables() -> set[str]:
    text = (ROOT / "softhelpers" / "settings.py").read_text()
    return set(re.findall(r'env\.[a-z_]+\("([A-Z_]+)"', text))


def test_env_example_documents_every_variable_the_settings_read():
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert _settings_variables() - documented == set()


def test_compose_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()
    assert services["worker"]["command"][:3] == ["celery", "-A", "softhelpers"]
    assert "beat" in services["beat"]["command"]
    env = services["web"]["environment"]
    assert env["SOFTHELPERS_ENV"] == "production"
    for secret in ("SECRET_KEY", "PRIVACY_MASTER_KEY", "DATABASE_APP_PASSWORD", "ALLOWED_HOSTS", "SITE_URL"):
        assert ":?" in env[secret], f"{secret} must be required, with no default"


@pytest.mark.policy("SAF-4")
@pytest.mark.django_db(transaction=True)
def test_the_compose_web_healthcheck_passes_against_production_settings(live_server, settings):
    """The container's own health command, run as compose runs it: by address, over plain HTTP (issue 15)."""
    settings.ALLOWED_HOSTS = ["books.softhelpers.example"]  # production: the public name only
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    port = live_server.url.rsplit(":", 1)[1]
    code = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    assert code != command[3], "the healthcheck asks the web container's own port"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)  # noqa: S603
    assert result.returncode == 0, result.stderr.decode()[-500:]
    # and what an ordinary page answers under the same settings: the health check is the one exemption
    probe = subprocess.run([sys.executable, "-c", code.replace("/healthz", "/accounts/login/")],  # noqa: S603
                           capture_output=True, timeout=30)
    assert probe.returncode != 0

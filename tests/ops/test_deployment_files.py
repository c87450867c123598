"""The deployment files say what the settings read (docker is not runnable here; the files are)."""

from __future__ import annotations

import re
from pathlib import Path

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

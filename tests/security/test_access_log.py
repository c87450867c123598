"""SAF-3: link secrets in paths never reach a log line, gunicorn's access log included."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from privacy.log_scrubbing import scrub
from softhelpers.gunicorn_logging import ScrubbingLogger

RESET = "/accounts/password/reset/MQ/cdxl3k-0123456789abcdef0123456789abcdef/"
VERIFY = "/accounts/verify/eyJ1IjoxLCJhIjoiYWJjZGVmIn0:1vQ0Zq:Rg2sV8ZQm6bW3yTq0Zk9sLmPq1X4cV7nE2aB5dF8hJ0/"


@pytest.mark.policy("SAF-3")
def test_signed_and_hex_link_secrets_are_scrubbed_from_any_logged_path():
    for path in (RESET, VERIFY, "/invitations/7-" + "ab" * 32 + "/"):
        scrubbed = scrub(f"Not Found: {path}")
        assert "[redacted]" in scrubbed and scrubbed.startswith("Not Found: /")
        assert not any(len(part) >= 24 for part in scrubbed.split("/"))
    assert scrub("GET /c/12/invoices/?page=2 HTTP/1.1") == "GET /c/12/invoices/?page=2 HTTP/1.1"


@pytest.mark.policy("SAF-3")
def test_gunicorn_access_lines_are_scrubbed(capsys):
    logger = ScrubbingLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": VERIFY, "PATH_INFO": VERIFY, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://mail.example/?to=owner@example.com"}
    request = SimpleNamespace(headers=[], method="GET", path=VERIFY, query="", version=(1, 1), uri=VERIFY)
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    atoms = logger.atoms_wrapper_class(logger.atoms(response, request, environ,
                                                    SimpleNamespace(seconds=0, microseconds=1000)))
    line = " ".join(str(atoms[key]) for key in atoms)  # every atom a format could name, as it would print it
    assert "Rg2sV8ZQm6bW3yTq0Zk9sLmPq1X4cV7nE2aB5dF8hJ0" not in line and "owner@example.com" not in line
    assert "/accounts/verify/[redacted]/" in atoms["U"]


@pytest.mark.policy("SAF-3")
def test_the_line_gunicorn_writes_is_scrubbed(capsys):
    """What reaches the log is the format's atoms, each scrubbed as it is read (the wrapper), not only ``atoms()``."""
    from gunicorn.config import Config as GunicornConfig

    config = GunicornConfig()
    config.set("accesslog", "-")
    logger = ScrubbingLogger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": VERIFY, "PATH_INFO": VERIFY, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://mail.example/?to=owner@example.com"}
    request = SimpleNamespace(headers=[], method="GET", path=VERIFY, query="", version=(1, 1), uri=VERIFY)
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    logger.access(response, request, environ, SimpleNamespace(seconds=0, microseconds=1000))
    line = capsys.readouterr().out
    assert '"GET /accounts/verify/[redacted]/ HTTP/1.1" 200' in line
    assert "Rg2sV8ZQm6bW3yTq0Zk9sLmPq1X4cV7nE2aB5dF8hJ0" not in line and "owner@example.com" not in line

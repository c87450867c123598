from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """System Chromium through Playwright (its own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "system Chromium is missing: `make test` installs it with apt"
    # Playwright's sync API runs an event loop in this thread; the Django calls the test makes
    # are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@contextmanager
def fresh_page(browser: Any) -> Iterator[Any]:
    """A page in a browser context of its own: no cookie of any other page's person."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with fresh_page(browser) as page:
        yield page


@pytest.fixture
def local_mail(settings: Any, tmp_path: Path, live_server: Any) -> Path:
    """Emails as ``.eml`` files (the dev mailbox reads them) with links to the live server."""
    settings.EMAIL_BACKEND = "accounts.mail.EmlFileBackend"
    settings.MAIL_DIR = tmp_path / "mail"
    settings.SITE_URL = live_server.url
    return settings.MAIL_DIR


def log_in(page: Any, base: str, email: str, *, code: str | None = None) -> None:
    """The login form; with ``code``, the two-factor step after it too."""
    from tests.conftest import PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if code is not None:
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Verify").click()


@pytest.fixture
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """TOTP codes at a pinned instant, in this process and its live server thread alike."""
    from datetime import UTC, datetime

    from tests.conftest import OtpClock

    return OtpClock(monkeypatch, datetime(2031, 3, 4, 9, 30, 7, tzinfo=UTC), django_too=False)


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

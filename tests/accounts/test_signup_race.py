"""Two sign-ups with one address at the same moment (issue 15, SAF-4): one account, one clear answer, no 500."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.test import Client

from accounts import services
from accounts.models import User
from tests.conftest import in_parallel

pytestmark = pytest.mark.policy("SAF-4")


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_of_one_address_at_once_make_one_account(monkeypatch):
    check = services.validate_password

    def check_then_wait(password, user=None):  # both pass "is the address free?" before either inserts
        check(password, user=user)
        time.sleep(0.2)

    monkeypatch.setattr(services, "validate_password", check_then_wait)
    form = {"full_name": "Dana", "email": "dana@example.com", "password": "a-long-test-password-42",
            "company_name": "Dana's Deli"}

    def sign_up() -> int:
        response = Client(raise_request_exception=True).post("/accounts/signup/", form)
        if response.status_code == 200:
            assert "An account with this email already exists" in response.content.decode()
        return response.status_code

    assert Counter(in_parallel(2, sign_up)) == {302: 1, 200: 1}
    assert User.objects.filter(email="dana@example.com").count() == 1

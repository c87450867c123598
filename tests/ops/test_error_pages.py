"""Errors show our own pages (with the privacy footer), never Django's technical pages listing the URLconf."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from tests.privacy.test_footer import FOOTER

pytestmark = [pytest.mark.django_db]


def test_an_unknown_address_gets_the_designed_404_signed_in_or_not(client, alice):
    for who in (None, alice):
        if who is not None:
            client.force_login(who)
        response = client.get("/no-such-page/")
        body = response.content.decode()
        assert response.status_code == 404 and "We could not find that page" in body
        assert "URLconf" not in body and all(link in body for link in FOOTER)


def test_a_server_error_shows_the_designed_500_with_the_footer():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in body
    assert "Traceback" not in body and all(link in body for link in FOOTER)

"""SAF-3, ACC-2: behind our TLS proxy each client keeps its own address, and a forged header changes nothing."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from accounts.auth import client_ip
from privacy.models import Inquiry

pytestmark = [pytest.mark.django_db]

PROXY = "10.0.0.2"


def _request(forwarded: str | None = None, peer: str = PROXY):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


@pytest.mark.policy("SAF-3")
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_address_our_proxy_appended_is_the_client_and_what_the_client_wrote_is_ignored():
    assert client_ip(_request("203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("1.2.3.4, 203.0.113.7")) == "203.0.113.7"  # "1.2.3.4" came from the client
    assert client_ip(_request()) == PROXY  # not through the proxy: the peer is all we know


@pytest.mark.policy("SAF-3")
def test_without_a_trusted_proxy_the_peer_is_the_client_whatever_the_header_says():
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_ip(_request("203.0.113.7", peer="198.51.100.1")) == "198.51.100.1"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(_request("9.9.9.9, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
        assert client_ip(_request("203.0.113.7")) == PROXY


@pytest.mark.policy("ACC-2")
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_client_behind_the_proxy_cannot_close_the_contact_form_for_everyone(client):
    def post(n: int, address: str):
        return client.post("/privacy/contact/", {
            "name": "A Person", "email": f"person{n}@example.com", "kind": Inquiry.Kind.QUESTION,
            "message": "A question.", "website": ""}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}")

    statuses = [post(n, "203.0.113.7").status_code for n in range(6)]
    assert statuses[-1] == 429 and 429 not in statuses[:5]
    assert post(99, "198.51.100.23").status_code in (200, 302)  # someone else, through the same proxy

"""SAF-4: input that a client can send never makes a 500 (issue 15)."""

from __future__ import annotations

import pytest

from softhelpers.parsers import MAX_DEPTH, depth_exceeds

pytestmark = [pytest.mark.policy("SAF-4"), pytest.mark.django_db]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 100_000])
def test_deeply_nested_json_is_a_400_without_login(api_client, depth):
    response = api_client.post("/api/v1/auth/token/", _nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]


def test_deeply_nested_json_is_a_400_for_a_member_too(api_client, acme):
    api_client.force_authenticate(acme.owner)
    body = '{"name": ' + _nested(5000) + "}"
    response = api_client.post(f"/api/v1/companies/{acme.company.pk}/contacts/", body, content_type="application/json")
    assert response.status_code == 400


def test_depth_is_counted_without_recursion():
    assert not depth_exceeds({"lines": [{"description": "x"}]}, 3)
    assert depth_exceeds({"lines": [{"description": ["x"]}]}, 3)
    deep: list = []
    for _ in range(200_000):
        deep = [deep]
    assert depth_exceeds(deep, MAX_DEPTH)

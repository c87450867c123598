"""SAF-4: property-based fuzzing of every API operation: any input gets a 2xx/4xx, never a 500.

Schemathesis turns our own OpenAPI schema into Hypothesis strategies (valid and invalid
bodies, queries and path values); each generated request goes through Django's test client
as alice, with acme's company in the path so that bodies reach the validators.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from knox.models import AuthToken
from schemathesis.core import NotSet

pytestmark = [pytest.mark.policy("SAF-4"), pytest.mark.django_db]

_RAW = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in
              (result.ok() for result in schemathesis.openapi.from_dict(_RAW).get_all_operations())}


def _send(client, case, token: str | None):
    path = case.formatted_path + (f"?{urlencode(case.query, doseq=True)}" if case.query else "")
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    if case.body is None or isinstance(case.body, NotSet):
        return client.generic(case.method, path, **headers)
    if case.media_type == "application/json":
        return client.generic(case.method, path, json.dumps(case.body), content_type="application/json", **headers)
    if case.media_type == "multipart/form-data":
        return client.generic(case.method, path, urlencode(case.body, doseq=True),
                              content_type="application/x-www-form-urlencoded", **headers)
    return client.generic(case.method, path, urlencode(case.body, doseq=True) if isinstance(case.body, dict)
                          else str(case.body), content_type=case.media_type or "application/json", **headers)


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 30


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_never_answers_500(label, acme, client):
    _, token = AuthToken.objects.create(user=acme.owner)
    operation = OPERATIONS[label]

    documented = set(_RAW["paths"][operation.path][operation.method.lower()]["responses"])
    needs_login = _RAW["paths"][operation.path][operation.method.lower()].get("security") != [{}]

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        if "company_id" in (case.path_parameters or {}):
            case.path_parameters["company_id"] = acme.company.pk
        response = _send(client, case, token)
        # schemathesis' not_a_server_error and status_code_conformance, on Django's test client
        assert response.status_code < 500, (label, case.body, case.query, response.content[:300])
        assert str(response.status_code) in documented, (label, response.status_code, response.content[:300])
        if needs_login:  # its ignored_auth: the same request without credentials is refused
            anonymous = _send(client, case, None)
            unrouted = response.status_code == anonymous.status_code == 404  # a path no route matches
            assert anonymous.status_code in (401, 403) or unrouted, (label, anonymous.status_code)

    check()

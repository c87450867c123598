"""The caller's own consents: ``GET /api/v1/me/consents/``, ``PUT /api/v1/me/consents/{purpose}/``."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from consent import purposes, selectors, services
from consent.models import Method


class ConsentSerializer(serializers.Serializer):
    purpose = serializers.CharField(source="purpose.id", read_only=True)
    granted = serializers.BooleanField(read_only=True)
    since = serializers.DateTimeField(read_only=True, allow_null=True)


class ConsentChangeSerializer(serializers.Serializer):
    granted = serializers.BooleanField()


def _state_of(user: User, purpose_id: str) -> selectors.PurposeState:
    return next(s for s in selectors.message_consents_of(user) if s.purpose.id == purpose_id)


class MyConsentsView(APIView):
    """Every message purpose with the caller's current decision (not granted until granted)."""

    @extend_schema(responses=ConsentSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ConsentSerializer(selectors.message_consents_of(cast(User, request.user)), many=True).data)


class MyConsentView(APIView):
    """Grant or withdraw one purpose; recorded in the consent ledger with method ``api``."""

    @extend_schema(request=ConsentChangeSerializer, responses=ConsentSerializer)
    def put(self, request: Request, purpose: str) -> Response:
        if purpose not in {p.id for p in purposes.MESSAGE_PURPOSES}:
            raise NotFound("No such consent purpose.")
        body = ConsentChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = cast(User, request.user)
        services.set_user_consents(user=user, choices={purpose: body.validated_data["granted"]}, method=Method.API,
                                   actor=user)
        return Response(ConsentSerializer(_state_of(user, purpose)).data)

from __future__ import annotations

from typing import cast

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.core.cache import caches
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from redis.exceptions import RedisError
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts import api_tokens, login_limits, selectors, two_factor
from accounts.api_tokens import ApiTokenAuthentication
from accounts.auth import client_ip
from accounts.exceptions import TooManyApiTokens, TooManyCodeAttempts, WrongCode
from accounts.models import User

OTP_REQUIRED = ("This account uses two-factor sign-in: send the 6-digit code from your authenticator app "
                "(or a recovery code) as otp.")


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text=(
        "Required when the account has two-factor sign-in on: the authenticator app's current 6-digit code, "
        "or one of the recovery codes (used up)."))


class TokenRequestThrottle(SimpleRateThrottle):
    """Token requests per client address (our proxies' view of it), counted in Redis with the other limits."""

    scope = "auth-token"
    cache = caches["limits"]

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request) or "unknown"}

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):  # Redis down: the per-address lockout in the database still holds
            return True


class ObtainTokenView(APIView):
    """Exchange email and password (and, with two-factor sign-in on, ``otp``) for an API token.

    Send the token as ``Authorization: Token …``. The code is asked for only after a correct
    password, so the answer says nothing about an account to someone without its password;
    wrong codes are throttled by django-otp like on the sign-in page (429 while it waits).
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [TokenRequestThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField(),
                                                            "expiry": serializers.DateTimeField()}),
                   403: OpenApiResponse(description="The account holds API_TOKENS_PER_USER live tokens already.")},
    )
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            user = authenticate(request._request, username=body.validated_data["email"].lower(),
                                password=body.validated_data["password"])
        except AxesBackendPermissionDenied:
            user = None
        if getattr(request._request, "axes_locked_out", False):
            return Response({"detail": "Too many failed attempts. Try again later.", "code": "locked_out"},
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        if getattr(request._request, "account_waits", False):
            return Response({"detail": login_limits.ACCOUNT_WAITS, "code": "account_waits"},
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response({"detail": "Email or password is not correct."}, status=status.HTTP_400_BAD_REQUEST)
        if two_factor.is_on(user):
            code = body.validated_data.get("otp", "").strip()
            if not code:
                return Response({"detail": OTP_REQUIRED, "code": "otp_required"}, status=status.HTTP_400_BAD_REQUEST)
            try:
                two_factor.verify(user=user, token=code, how="api")
            except WrongCode:
                return Response({"detail": "The two-factor code is not correct.", "code": "otp_invalid"},
                                status=status.HTTP_400_BAD_REQUEST)
            except TooManyCodeAttempts as exc:
                return Response({"detail": str(exc), "code": "otp_throttled"},
                                status=status.HTTP_429_TOO_MANY_REQUESTS)
        try:
            instance, token = api_tokens.issue(user=user)
        except TooManyApiTokens as exc:
            return Response({"detail": str(exc), "code": "too_many_tokens"}, status=status.HTTP_403_FORBIDDEN)
        return Response({"token": token, "expiry": instance.expiry})


@extend_schema(request=None, responses={204: None})
class LogoutView(APIView):
    """End the API token this request was made with (knox's ``TokenAuthentication`` only)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        token = cast(AuthToken, request.auth)
        api_tokens.revoke(user=cast(User, request.user), token_keys=[token.token_key])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=None, responses={204: None})
class LogoutAllView(APIView):
    """End every API token of the caller's account (a lost laptop, a leaked script)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        api_tokens.revoke(user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompanySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="company_id")
    name = serializers.CharField(source="company.name")
    status = serializers.CharField(source="company.status")
    role = serializers.CharField()


class CompanyListView(APIView):
    """The caller's companies, with their ids for the company-scoped routes."""

    @extend_schema(responses=CompanySerializer(many=True))
    def get(self, request: Request) -> Response:
        memberships = selectors.memberships_of(cast(User, request.user))  # IsAuthenticated ran
        return Response(CompanySerializer(memberships, many=True).data)

"""The caller's own consents (``/api/v1/me/consents/``) and a company's invitations (``…/invitations/``)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import CompanyScopedAPIMixin
from accounts.models import Membership, User
from consent import invitations, purposes, selectors, services
from consent.exceptions import InvitationQuotaExceeded, InvitationRefused
from consent.models import Invitation, Method


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


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "name", "email", "role", "status", "created_at", "sent_at", "expires_at"]
        read_only_fields = ["id", "status", "created_at", "sent_at", "expires_at"]
        extra_kwargs = {"name": {"required": True, "allow_blank": False},  # GST-1: both needed
                        "email": {"required": True, "allow_blank": False},
                        "role": {"required": False, "default": Invitation.Role.GUEST}}


class OwnerOnlyMixin(CompanyScopedAPIMixin):
    """Invitations are the owners' business: other members get 403 (after the company's 404 check)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.membership.role != Membership.Role.OWNER:
            raise PermissionDenied("Only the company's owners manage invitations.")

    def invitation(self, pk: int) -> Invitation:
        found = selectors.invitation_in(self.company, invitation_id=pk)
        if found is None:
            raise NotFound
        return found


_REFUSED = OpenApiResponse(description="Refused as the state stands: already invited, already a member, "
                                       "or not pending any more (`detail` says which).")


def _refusal(exc: Exception) -> Response:
    code = status.HTTP_429_TOO_MANY_REQUESTS if isinstance(exc, InvitationQuotaExceeded) else status.HTTP_409_CONFLICT
    return Response({"detail": str(exc)}, status=code)


class InvitationListView(OwnerOnlyMixin, APIView):
    """Pending invitations of the company; POST invites someone by name and email (one email sent)."""

    serializer_class = InvitationSerializer

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request, company_id: int) -> Response:
        return Response(InvitationSerializer(selectors.pending_invitations(self.company), many=True).data)

    @extend_schema(request=InvitationSerializer, responses={201: InvitationSerializer, 409: _REFUSED})
    def post(self, request: Request, company_id: int) -> Response:
        body = InvitationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            created = invitations.invite(company=self.company, actor=cast(User, request.user), **body.validated_data)
        except (InvitationRefused, InvitationQuotaExceeded) as exc:
            return _refusal(exc)
        return Response(InvitationSerializer(created).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(OwnerOnlyMixin, APIView):
    """DELETE revokes a pending invitation: its link stops working and the name and email are erased."""

    serializer_class = InvitationSerializer

    @extend_schema(responses={204: None, 409: _REFUSED})
    def delete(self, request: Request, company_id: int, pk: int) -> Response:
        try:
            invitations.revoke(company=self.company, invitation=self.invitation(pk), actor=cast(User, request.user))
        except InvitationRefused as exc:
            return _refusal(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendView(OwnerOnlyMixin, APIView):
    """A new link for a pending invitation, valid for the full period; the old link answers "replaced"."""

    serializer_class = InvitationSerializer

    @extend_schema(request=None, responses={200: InvitationSerializer, 409: _REFUSED})
    def post(self, request: Request, company_id: int, pk: int) -> Response:
        try:
            sent = invitations.resend(company=self.company, invitation=self.invitation(pk),
                                      actor=cast(User, request.user))
        except (InvitationRefused, InvitationQuotaExceeded) as exc:
            return _refusal(exc)
        return Response(InvitationSerializer(sent).data)

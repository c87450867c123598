"""Emails of the accounts app, sent from the outbox (ids in, re-fetched here)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import outbox, verification
from accounts.models import User

COMPANY_HEADER = "X-Soft-Helpers-Company"


def send_templated_email(*, to: str, template: str, context: dict[str, object], company_id: int | None = None,
                         headers: dict[str, str] | None = None) -> None:
    """Render emails/<template>_subject.txt, .txt and .html and send them to one address.

    ``company_id`` tags a message about one company, so the purge finds its local mail files.
    """
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    subject = " ".join(render_plain_text(f"emails/{template}_subject.txt", context).split())
    text = render_plain_text(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    headers = {**(headers or {}), **({COMPANY_HEADER: str(company_id)} if company_id is not None else {})}
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers or None)
    message.attach_alternative(html, "text/html")
    message.send()


def render_plain_text(name: str, context: dict[str, object]) -> str:
    """A text template rendered without HTML escaping: "Ada's Bakery", never "Ada&#x27;s Bakery".

    Only HTML is escaped (the .html part, by the engine as usual); plain text and subjects are
    not HTML, and a header cannot carry markup anyway.
    """
    return get_template(name).template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


@outbox.handler("accounts.welcome_email")
def send_welcome_email(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return  # the account went away before the mail: nothing to say
    send_templated_email(to=user.email, template="welcome", context={"user": user, **_verification(user)})


@outbox.handler("accounts.verification_email")
def send_verification_email(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True, email_verified_at__isnull=True).first()
    if user is not None:
        send_templated_email(to=user.email, template="verify_email", context={"user": user, **_verification(user)})


def _verification(user: User) -> dict[str, object]:
    if user.email_verified:
        return {}
    return {"verify_path": reverse("accounts:verify-email", kwargs={"token": verification.make_token(user)}),
            "verify_days": settings.ACCOUNTS_VERIFY_EMAIL_DAYS}


@outbox.handler("accounts.password_reset_email")
def send_password_reset_email(*, user_id: int) -> None:
    """The reset link, made now from Django's token (it holds no secret we store)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    path = reverse("accounts:password-reset-confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    send_templated_email(to=user.email, template="password_reset",
                         context={"path": path, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60})

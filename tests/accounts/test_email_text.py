"""Plain-text emails and subjects are not HTML: names with ' & " read as written; the HTML part is escaped."""

from __future__ import annotations

from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.test import override_settings

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import Company, User
from accounts.tenancy import tenant_context
from consent import invitations

pytestmark = [pytest.mark.django_db]

NAME = 'Ada\'s "Bakery" & <Co>'


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def test_an_invitation_names_the_company_and_people_as_written(acme, eml_dir):
    Company.objects.filter(pk=acme.company.pk).update(name=NAME)
    User.objects.filter(pk=acme.owner.pk).update(full_name="Zoë O'Brien & Sons")
    company = Company.objects.get(pk=acme.company.pk)
    owner = User.objects.get(pk=acme.owner.pk)
    with tenant_context(company.pk):
        invitations.invite(company=company, name='Jo "JJ" D\'Arcy', email="jo@guest.example", role="guest",
                           actor=owner)
    outbox.sweep()
    (path,) = [f for f in list_mail_files() if "jo@guest.example" in f.read_text(errors="replace")]
    message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["subject"] == f"Zoë O'Brien & Sons invited you to {NAME} on Soft Helpers"
    assert f"join {NAME} on Soft Helpers" in text and 'Hello Jo "JJ" D\'Arcy,' in text
    assert "&#x27;" not in text and "&amp;" not in text and "&quot;" not in text
    assert "Ada&#x27;s &quot;Bakery&quot; &amp; &lt;Co&gt;" in html and "<Co>" not in html

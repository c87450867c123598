"""Invitations (issue 12) in a real browser: the owner invites someone on Manage Soft Helpers, the
invitee reads the one email in the dev mailbox and follows its link, either to make an account and
join as a read-only guest, or to have their name and email removed at once with no login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import Membership, User
from accounts.tenancy import tenant_context
from consent.models import Invitation, InvitationLink, InvitationLocator
from ledger.models import Contact
from tests.conftest import PASSWORD
from tests.e2e.conftest import fresh_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCEPT = re.compile(r"\/invitations\/[1-9][0-9]*-[0-9a-f]{64}\/$")  # slashes escaped for Playwright
REMOVE = re.compile(r"\/invitations\/[1-9][0-9]*-[0-9a-f]{64}\/remove\/$")
SUBJECT = "Alice Acme invited you to Acme on Soft Helpers"


@pytest.fixture
def invitee(browser: Any) -> Iterator[Any]:
    """The invited person's own browser: another context, with no session of the owner's."""
    with fresh_page(browser) as page:
        yield page


def _invite(page, *, name: str, email: str) -> None:
    """On Manage Soft Helpers, as the owner: fill the card "Invite someone", keep the role Guest, send."""
    page.get_by_role("link", name="Manage Soft Helpers").click()
    card = page.locator(".card").filter(has=page.get_by_role("heading", name="Invite someone"))
    expect(card.get_by_text("No pending invitations.")).to_be_visible()
    card.get_by_label("Name").fill(name)
    card.get_by_label("Email").fill(email)
    expect(card.get_by_label("Role")).to_have_value(Invitation.Role.GUEST)  # Guest (read-only) unless changed
    card.get_by_role("button", name="Invite someone").click()
    expect(page.get_by_text("Invitation sent.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Guest (read-only)")


def _mails_to(email: str) -> list[str]:
    return [path.name for path in list_mail_files() if f"To: {email}" in path.read_bytes().decode()]


def _open_invitation_email(page, base: str, email: str) -> str:
    """The dev mailbox, as the invitee: open the invitation email; return its file name."""
    page.goto(f"{base}/dev/mail/")
    expect(page.get_by_role("row").filter(has_text=email)).to_have_count(1)  # one email, the invitation
    page.get_by_role("link", name=SUBJECT).click()
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_text(f"To {email}")).to_be_visible()
    return page.url.rsplit("/", 1)[-1]


@pytest.mark.policy("GST-1")
@pytest.mark.policy("GST-2")
def test_owner_invites_a_guest_who_makes_an_account_from_the_email_and_can_only_read(
        live_server, page, invitee, acme, local_mail):
    base = live_server.url
    company_id = acme.company.pk
    name, email = "Gina Guest", "gina@guests.example"

    log_in(page, base, acme.owner.email)
    expect(page.get_by_role("heading", name="Company Selection")).to_be_visible()
    _invite(page, name=name, email=email)
    screenshot(page, "invitation-sent")
    outbox.sweep()  # what the beat does every few seconds
    assert len(_mails_to(email)) == 1

    _open_invitation_email(invitee, base, email)
    accept = invitee.get_by_role("link", name=ACCEPT)
    href = accept.get_attribute("href")
    assert href is not None and href.startswith(f"{base}/invitations/{company_id}-")
    expect(invitee.get_by_role("link", name=REMOVE)).to_have_attribute("href", href + "remove/")
    accept.click()

    expect(invitee.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(invitee.get_by_role("link", name="Log in to accept")).to_be_visible()
    invited_email = invitee.get_by_label("Email")
    expect(invited_email).to_have_value(email)
    expect(invited_email).not_to_be_editable()
    expect(invitee.get_by_label("Your name")).to_have_value(name)  # prefilled from the invitation
    expect(invitee.get_by_role("checkbox", checked=True)).to_have_count(0)  # consents start unticked
    invitee.get_by_label("Password").fill(PASSWORD)
    screenshot(invitee, "invitation")
    invitee.get_by_role("button", name="Create account and accept invitation").click()

    expect(invitee.get_by_text("Welcome to Acme.")).to_be_visible()
    assert invitee.url == f"{base}/c/{company_id}/"
    expect(invitee.get_by_role("heading", name="Acme", exact=True)).to_be_visible()
    expect(invitee.get_by_text("You are guest of this company.")).to_be_visible()
    expect(invitee.get_by_role("link", name=re.compile(r"^Add "))).to_have_count(0)
    user = User.objects.get(email=email)
    assert user.full_name == name
    with tenant_context(company_id):
        assert Membership.objects.get(company=acme.company, user=user).role == Membership.Role.GUEST
        invitation = Invitation.objects.get(company=acme.company)
        assert (invitation.status, invitation.name, invitation.email) == (Invitation.Status.ACCEPTED, "", "")

    # Read-only: the guest sees the contacts, with no way to add, edit or delete one.
    invitee.locator("nav.sidebar").get_by_role("link", name="Contacts").click()
    expect(invitee.get_by_role("heading", name="Contacts")).to_be_visible()
    row = invitee.get_by_role("row").filter(has_text="ACMESECRET Contact")
    expect(row).to_contain_text("acmesecret@client.example")
    expect(invitee.get_by_role("link", name="Add contact")).to_have_count(0)
    screenshot(invitee, "guest-contacts")
    row.get_by_role("link", name="View").click()
    expect(invitee.get_by_role("heading", name="Contact")).to_be_visible()
    expect(invitee.get_by_role("link", name="Edit")).to_have_count(0)
    expect(invitee.get_by_role("link", name="Delete")).to_have_count(0)
    assert invitee.goto(f"{base}/c/{company_id}/contacts/new/").status == 403

    # A write sent anyway, with the session and a valid CSRF token, is refused by the role.
    invitee.goto(f"{base}/c/{company_id}/contacts/")
    token = invitee.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    contact = acme.contact
    for action in ("new/", f"{contact.pk}/edit/", f"{contact.pk}/delete/"):
        refused = invitee.request.post(f"{base}/c/{company_id}/contacts/{action}", max_redirects=0,
                                       form={"csrfmiddlewaretoken": token, "name": "Guest was here",
                                             "email": "guest@was.example"})
        assert refused.status == 403, action
        assert "You cannot do this here" in refused.text()
    with tenant_context(company_id):
        assert list(Contact.objects.values_list("name", flat=True)) == ["ACMESECRET Contact"]

    # The link works once.
    reopened = invitee.goto(href)
    assert reopened.status == 410
    expect(invitee.get_by_role("heading", name="Invitation already used")).to_be_visible()

    page.reload()  # the owner's Manage Soft Helpers: a member now, no longer pending
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Guest")
    expect(page.get_by_text("No pending invitations.")).to_be_visible()


@pytest.mark.policy("GST-4")
def test_invitee_removes_their_information_from_the_email_with_no_login(
        live_server, page, invitee, acme, local_mail):
    base = live_server.url
    company_id = acme.company.pk
    name, email = "Rita Private", "rita@private.example"

    log_in(page, base, acme.owner.email)
    _invite(page, name=name, email=email)
    outbox.sweep()
    mail_file = local_mail / _mails_to(email)[0]
    others = {path.name for path in list_mail_files()} - {mail_file.name}
    assert others  # alice's welcome email, which the removal must leave alone

    assert _open_invitation_email(invitee, base, email) == mail_file.name
    accept_href = invitee.get_by_role("link", name=ACCEPT).get_attribute("href")
    invitee.get_by_role("link", name=REMOVE).click()  # "Remove my information: <link>"

    expect(invitee.get_by_role("heading", name="Remove my information?")).to_be_visible()
    screenshot(invitee, "invitation-remove")
    with tenant_context(company_id):  # opening the link changed nothing
        assert Invitation.objects.filter(company=acme.company).count() == 1
        assert InvitationLink.objects.filter(company=acme.company).count() == 1
        assert InvitationLocator.objects.filter(company=acme.company).count() == 1
    assert mail_file.exists()
    invitee.get_by_role("button", name="Remove my information").click()
    expect(invitee.get_by_role("heading", name="Your information is removed")).to_be_visible()
    screenshot(invitee, "invitation-removed")

    with tenant_context(company_id):
        assert not Invitation.objects.filter(company=acme.company).exists()
        assert not InvitationLink.objects.filter(company=acme.company).exists()
        assert not InvitationLocator.objects.filter(company=acme.company).exists()
    assert not mail_file.exists()  # the local copy of the email is gone too
    assert {path.name for path in list_mail_files()} == others

    gone = invitee.goto(accept_href)
    assert gone.status == 404
    expect(invitee.get_by_role("heading", name="Invitation not found")).to_be_visible()
    invitee.goto(f"{base}/dev/mail/")
    expect(invitee.get_by_role("link", name=SUBJECT)).to_have_count(0)

    page.reload()  # alice's Manage Soft Helpers
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=email)).to_have_count(0)
    expect(page.get_by_text(name)).to_have_count(0)

"""The privacy policy's versions: the one in force, the history, and notices of material changes.

ACC-3 and NOT-1. The officer drafts a version in the admin and publishes it; a published
version's row is final (a database trigger refuses any change or deletion, migration 0005).
The version in force on a day is the published one with the latest effective date on or
before it; consent events, deletion certificates and exports name it (``current_label``).

Publishing a *material* change tells every active user who joined before it was published:
one ``PolicyNotice`` row per user, made with ``ON CONFLICT DO NOTHING`` (running the fan-out
again adds nobody), one outbox email per new row (sent once: the row records it), and a banner
on every signed-in page until the user opens the version or dismisses it. These are
administrative messages (CON-6): no unsubscribe, sent whatever the user's consents.

The first version, effective 2013-08-15, is seeded from ``privacy/policy_texts/`` after every
migrate (and test flush) by ``seed_first_version``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import date, datetime, time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from accounts import outbox
from accounts.audit import record_event
from accounts.models import AuditEvent, User
from privacy.exceptions import PolicyError
from privacy.models import PolicyNotice, PolicyVersion

FIRST_LABEL = "2013-08-15"
FIRST_EFFECTIVE = date(2013, 8, 15)
TEXTS = Path(__file__).resolve().parent / "policy_texts"


def digest(text: str) -> str:
    """The sha256 that ``/privacy/versions/<label>/`` shows: of the text encoded as UTF-8."""
    return hashlib.sha256(text.encode()).hexdigest()


def _today(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now())


# --- reading ---------------------------------------------------------------------------------------

def in_force(*, now: datetime | None = None) -> PolicyVersion | None:
    return PolicyVersion.objects.in_force_on(_today(now)).first()


def current_label(*, now: datetime | None = None) -> str:
    """The label of the version in force, for the records that must name it."""
    label = PolicyVersion.objects.in_force_on(_today(now)).values_list("label", flat=True).first()
    return label or FIRST_LABEL


def upcoming(*, now: datetime | None = None) -> list[PolicyVersion]:
    """Published versions that take effect later, soonest first."""
    return list(PolicyVersion.objects.published().filter(effective_on__gt=_today(now)).order_by("effective_on"))


def history() -> list[PolicyVersion]:
    """Every published version, newest first."""
    return list(PolicyVersion.objects.published().order_by("-effective_on", "-published_at"))


def published(label: str) -> PolicyVersion | None:
    return PolicyVersion.objects.published().filter(label=label).first()


def unread_notice(user: User) -> PolicyNotice | None:
    """The newest material change this user has not yet opened or dismissed (the banner)."""
    return (PolicyNotice.objects.filter(user=user, read_at__isnull=True).select_related("version")
            .order_by("-version__effective_on").first())


# --- writing ---------------------------------------------------------------------------------------

def _unix_lines(text: str) -> str:
    """Browsers send a textarea's lines ending in CRLF; the published text (and its digest) uses LF."""
    return text.replace("\r\n", "\n")


def draft_problem(*, label: str, text: str, summary: str, version: PolicyVersion | None = None) -> str | None:
    """Why a draft with these values cannot be saved, or None (the admin's form asks first)."""
    label = label.strip()
    if not label or not text.strip() or not summary.strip():
        return "A version needs a label, its text and a summary of what changed."
    others = PolicyVersion.objects.filter(label=label)
    if version is not None:
        others = others.exclude(pk=version.pk)
    if others.exists():
        return f"There is already a version labelled {label}."
    return None


@transaction.atomic
def draft_version(*, label: str, effective_on: date, text: str, summary: str, material: bool, actor: User | None,
                  now: datetime | None = None) -> PolicyVersion:
    """A new draft; raise PolicyError for a label in use or a missing text or summary."""
    now = now or timezone.now()
    label, text = label.strip(), _unix_lines(text)
    if problem := draft_problem(label=label, text=text, summary=summary):
        raise PolicyError(problem)
    version = PolicyVersion.objects.create(label=label, effective_on=effective_on, text=text, summary=summary.strip(),
                                           material=material, created_by_id=actor.pk if actor else None,
                                           created_at=now)
    record_event(event=AuditEvent.Event.POLICY_DRAFTED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=version, now=now)
    return version


@transaction.atomic
def update_draft(*, version: PolicyVersion, label: str, effective_on: date, text: str, summary: str, material: bool,
                 actor: User | None) -> PolicyVersion:
    """Edit a draft; a published version is final (PolicyError here, and the database refuses it too)."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise PolicyError(f"Version {version.label} is published: it can never change. Draft a new version.")
    label, text = label.strip(), _unix_lines(text)
    if problem := draft_problem(label=label, text=text, summary=summary, version=version):
        raise PolicyError(problem)
    version.label, version.effective_on, version.text, version.summary, version.material = (
        label, effective_on, text, summary.strip(), material)
    version.save(update_fields=["label", "effective_on", "text", "summary", "material"])
    record_event(event=AuditEvent.Event.POLICY_DRAFT_CHANGED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=version)
    return version


@transaction.atomic
def publish_version(*, version: PolicyVersion, actor: User | None, now: datetime | None = None) -> PolicyVersion:
    """Make a draft final and public; for a material change, tell every active user.

    Publishing a published version changes nothing. A version cannot take effect before the
    day it is published: the records made in between named the version then in force.
    """
    now = now or timezone.now()
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        return version
    if version.effective_on < _today(now):
        raise PolicyError(f"Version {version.label} takes effect on {version.effective_on:%Y-%m-%d}, before today: "
                          "give it an effective date from today on.")
    version.published_at, version.published_by_id, version.sha256 = now, actor.pk if actor else None, digest(version.text)
    version.save(update_fields=["published_at", "published_by_id", "sha256"])
    record_event(event=AuditEvent.Event.POLICY_PUBLISHED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=version, data={"material": version.material, "effective_on": version.effective_on.isoformat()},
                 now=now)
    if version.material:
        queue_notices(version=version, actor=actor, now=now)
    return version


@transaction.atomic
def queue_notices(*, version: PolicyVersion, actor: User | None, now: datetime | None = None) -> int:
    """One notice and one email for every active user who joined before the version takes effect.

    Safe to run again (``manage.py notify_policy_change``, and the daily beat until the version
    is in force, for users who sign up in between): users already told are skipped, so a second
    run sends nothing more. Returns how many users were newly told.
    """
    now = now or timezone.now()
    if not version.is_published or not version.material:
        raise PolicyError(f"Version {version.label} is not a published material change.")
    takes_effect = timezone.make_aware(datetime.combine(version.effective_on, time()), timezone.get_default_timezone())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO privacy_policynotice (user_id, version_id, created_at) "
            "SELECT id, %s, %s FROM accounts_user WHERE is_active AND date_joined < %s ORDER BY id "
            "ON CONFLICT (user_id, version_id) DO NOTHING RETURNING id",
            [version.pk, now, takes_effect])
        notice_ids = sorted(row[0] for row in cursor.fetchall())
    if not notice_ids:
        return 0
    outbox.enqueue_many(deliver_notice, [{"notice_id": pk} for pk in notice_ids])
    record_event(event=AuditEvent.Event.POLICY_NOTICES_QUEUED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=version, data={"recipients": len(notice_ids)}, now=now)
    return len(notice_ids)


def notify_upcoming(*, now: datetime | None = None) -> int:
    """The daily beat: tell users who signed up since a material change was published, until it takes effect."""
    now = now or timezone.now()
    told = 0
    for version in PolicyVersion.objects.published().filter(material=True, effective_on__gte=_today(now)):
        told += queue_notices(version=version, actor=None, now=now)
    return told


@outbox.handler("privacy.policy_notice_email")
def deliver_notice(*, notice_id: int) -> None:
    """Email one user about a material change, once; nothing for an account that went away."""
    from privacy.emails import send_policy_notice

    notice = (PolicyNotice.objects.select_for_update(of=("self",)).select_related("user", "version")
              .filter(pk=notice_id, emailed_at__isnull=True).first())
    if notice is None or not notice.user.is_active:
        return
    send_policy_notice(notice)
    notice.emailed_at = timezone.now()
    notice.save(update_fields=["emailed_at"])


def mark_read(*, user: User, version: PolicyVersion, now: datetime | None = None) -> bool:
    """The user opened or dismissed the notice of ``version``: the banner goes. True if it was showing."""
    return bool(PolicyNotice.objects.filter(user=user, version=version, read_at__isnull=True)
                .update(read_at=now or timezone.now()))


def forget_users(*, user_ids: Collection[int]) -> int:
    """The purge's part: the notices of users it anonymised."""
    deleted, _ = PolicyNotice.objects.filter(user_id__in=list(user_ids), user__is_active=False).delete()
    return deleted


def seed_first_version(*, using: str = "default") -> None:
    """The policy effective 2013-08-15, published as it was, if the table lacks it (after migrate/flush)."""
    versions = PolicyVersion.objects.db_manager(using)
    if versions.filter(label=FIRST_LABEL).exists():
        return
    text = (TEXTS / f"{FIRST_LABEL}.txt").read_text(encoding="utf-8")
    published_at = timezone.make_aware(datetime.combine(FIRST_EFFECTIVE, time()), timezone.get_default_timezone())
    with transaction.atomic(using=using):
        versions.create(label=FIRST_LABEL, effective_on=FIRST_EFFECTIVE, text=text, material=False,
                        summary="The Business Privacy Policy as first published.", created_at=published_at,
                        published_at=published_at, sha256=digest(text))

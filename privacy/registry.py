"""The personal information registry: every field of every model, classified.

For each field it says whether the value is personal information, its category, whether it is
stored sealed (``privacy.fields``), and how it is erased when its owner leaves: the row is
deleted, the value is anonymised (the row survives without it), or it is kept because it is
not personal. It is the single source that the data export, the purge, the log scrubber and
``manage.py pi_inventory`` read.

The system check ``privacy.E001``–``E003`` (``manage.py check``, so every test run and CI)
fails when a model field is missing here, when an entry names a field that no longer exists,
or when "encrypted" here disagrees with the field's type. New code cannot add an unclassified
field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db import models


class Category(StrEnum):
    CONTACT = "contact"  # how to reach a person: email, phone, postal address
    IDENTITY = "identity"  # who a person is: names, names of sole-trader businesses
    FINANCIAL = "financial"  # account numbers, what a person paid or was paid, for what
    CREDENTIALS = "credentials"  # secrets that open an account, ours or a third party's
    USAGE = "usage"  # traces of use: sessions, addresses and agents of login attempts
    NONE = "not personal"


class Erasure(StrEnum):
    DELETE_ROW = "delete row"
    ANONYMISE = "anonymise"
    KEEP = "keep (not personal)"


class Scope(StrEnum):
    """Whose data a model holds: the purge finds rows by company, by user, or not at all."""

    COMPANY = "company"  # every row has company_id
    USER = "user"  # rows belong to a user account
    SITE = "site"  # configuration and anonymous records, no personal value


@dataclass(frozen=True)
class FieldPolicy:
    category: Category
    erasure: Erasure
    encrypted: bool = False

    @property
    def personal(self) -> bool:
        return self.category is not Category.NONE

    @property
    def exported(self) -> bool:
        """Credentials are never shown again after entry (SHR-1), not even in the owner's export."""
        return self.category is not Category.CREDENTIALS


@dataclass(frozen=True)
class ModelPolicy:
    scope: Scope
    fields: dict[str, FieldPolicy]
    note: str = ""
    exported: bool = True  # False for records about the service itself, not the company's books


KEEP = FieldPolicy(Category.NONE, Erasure.KEEP)


def pi(category: Category, *, erasure: Erasure = Erasure.DELETE_ROW, encrypted: bool = False) -> FieldPolicy:
    return FieldPolicy(category, erasure, encrypted)


def keep(*names: str) -> dict[str, FieldPolicy]:
    return dict.fromkeys(names, KEEP)


_AXES_REQUEST = {"user_agent": pi(Category.USAGE), "ip_address": pi(Category.USAGE),
                 "username": pi(Category.CONTACT), "http_accept": pi(Category.USAGE),
                 "path_info": pi(Category.USAGE)}

REGISTRY: dict[str, ModelPolicy] = {
    # --- Django and third-party apps ----------------------------------------------------------
    "admin.LogEntry": ModelPolicy(Scope.USER, {
        **keep("id", "action_time", "content_type", "object_id", "action_flag"),
        "user": pi(Category.USAGE),
        # Our models' str() holds only ids, so the representation and message carry no value.
        **keep("object_repr", "change_message"),
    }, "staff actions in the admin"),
    "auth.Permission": ModelPolicy(Scope.SITE, keep("id", "name", "content_type", "codename")),
    "auth.Group_permissions": ModelPolicy(Scope.SITE, keep("id", "group", "permission")),
    "auth.Group": ModelPolicy(Scope.SITE, keep("id", "name", "permissions")),
    "contenttypes.ContentType": ModelPolicy(Scope.SITE, keep("id", "app_label", "model")),
    "sessions.Session": ModelPolicy(Scope.USER, {
        "session_key": pi(Category.CREDENTIALS), "session_data": pi(Category.USAGE), **keep("expire_date"),
    }, "login sessions (COO-1: end with the browser)"),
    "knox.AuthToken": ModelPolicy(Scope.USER, {
        "digest": pi(Category.CREDENTIALS), "token_key": pi(Category.CREDENTIALS), "user": pi(Category.USAGE),
        **keep("created", "expiry"),
    }, "API tokens, stored hashed"),
    "axes.AccessFailureLog": ModelPolicy(Scope.USER, {
        **keep("id", "attempt_time", "locked_out"), **_AXES_REQUEST,
    }, "failed logins (rate limiting)"),
    "axes.AccessAttempt": ModelPolicy(Scope.USER, {
        **keep("id", "attempt_time", "failures_since_start"), **_AXES_REQUEST,
        "get_data": pi(Category.USAGE), "post_data": pi(Category.USAGE),
    }, "login attempts (rate limiting)"),
    "axes.AccessAttemptExpiration": ModelPolicy(Scope.USER, keep("access_attempt", "expires_at")),
    "axes.AccessLog": ModelPolicy(Scope.USER, {
        **keep("id", "attempt_time", "logout_time"), **_AXES_REQUEST, "session_hash": pi(Category.USAGE),
    }, "successful logins"),
    # Two-factor sign-in (accounts.two_factor): deleted with the user's other credentials when anonymised.
    "otp_totp.TOTPDevice": ModelPolicy(Scope.USER, {
        **keep("id", "name", "confirmed", "step", "t0", "digits", "tolerance", "drift", "last_t",
               "throttling_failure_count"),
        "user": pi(Category.USAGE), "key": pi(Category.CREDENTIALS),
        "throttling_failure_timestamp": pi(Category.USAGE), "created_at": pi(Category.USAGE),
        "last_used_at": pi(Category.USAGE),
    }, "authenticator app secrets (two-factor sign-in)"),
    "otp_static.StaticDevice": ModelPolicy(Scope.USER, {
        **keep("id", "name", "confirmed", "throttling_failure_count"),
        "user": pi(Category.USAGE), "throttling_failure_timestamp": pi(Category.USAGE),
        "created_at": pi(Category.USAGE), "last_used_at": pi(Category.USAGE),
    }, "the holder of a user's recovery codes"),
    "otp_static.StaticToken": ModelPolicy(Scope.USER, {
        **keep("id", "device"), "token": pi(Category.CREDENTIALS),
    }, "one-time recovery codes (two-factor sign-in), deleted when used"),
    # --- accounts -----------------------------------------------------------------------------
    "accounts.User": ModelPolicy(Scope.USER, {
        **keep("id", "session_epoch", "is_superuser", "is_active", "is_staff", "groups", "user_permissions"),
        "password": pi(Category.CREDENTIALS, erasure=Erasure.ANONYMISE),
        "email": pi(Category.CONTACT, erasure=Erasure.ANONYMISE),
        "full_name": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
        "last_login": pi(Category.USAGE, erasure=Erasure.ANONYMISE),
        "date_joined": pi(Category.USAGE, erasure=Erasure.ANONYMISE),
        "email_verified_at": pi(Category.USAGE, erasure=Erasure.ANONYMISE),
    }, "people who log in; kept while they belong to any company"),
    "accounts.User_groups": ModelPolicy(Scope.USER, keep("id", "user", "group")),
    "accounts.User_user_permissions": ModelPolicy(Scope.USER, keep("id", "user", "permission")),
    "accounts.Company": ModelPolicy(Scope.COMPANY, {
        **keep("id", "status", "created_at", "closed_at", "purged_at"),
        # A business name can name a person (sole traders): the tombstone keeps the row without it.
        "name": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
    }, "the tenant; an anonymous tombstone survives the purge (RET-5)"),
    "accounts.Membership": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "role", "created_at"), "user": pi(Category.USAGE),
        "last_seen_at": pi(Category.USAGE),  # at most hourly (GST-3)
    }),
    "accounts.OutboxMessage": ModelPolicy(Scope.SITE, keep(
        "id", "handler", "payload", "created_at", "delivered_at", "attempts", "last_error",
    ), "payloads hold ids only; errors hold exception types only"),
    "accounts.AuditEvent": ModelPolicy(Scope.SITE, keep(
        "id", "company_id", "actor_id", "event", "subject_type", "subject_id", "data", "created_at",
        "prev_hash", "hash",
    ), "ids and event types only; outlives the purge (SAF-1)"),
    # --- privacy ------------------------------------------------------------------------------
    "privacy.DataExport": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "requested_by_id", "status", "progress", "rows_written", "size_bytes",
               "created_at", "finished_at", "expires_at", "downloaded_at"),
        # The name is random; the file it names holds the company's personal data until deleted.
        "file_name": pi(Category.FINANCIAL),
    }, "the ZIP file is deleted on download or expiry", exported=False),
    "privacy.ExportJob": ModelPolicy(Scope.SITE, keep("id", "company", "export_id", "attempt", "heartbeat_at"),
                                     "ids of the exports being built, for the stall sweep; deleted when each ends"),
    "privacy.PolicyVersion": ModelPolicy(Scope.SITE, keep(
        "id", "label", "effective_on", "text", "summary", "material", "created_by_id", "created_at", "published_at",
        "published_by_id", "sha256",
    ), "the privacy policy's versions (ACC-3, NOT-1): a reference table, the same for everyone", exported=False),
    "privacy.PolicyNotice": ModelPolicy(Scope.USER, {
        **keep("id", "version", "created_at", "emailed_at", "read_at"), "user": pi(Category.USAGE),
    }, "who was told of a material policy change, and whether they read it (ACC-3)", exported=False),
    "privacy.OfficerContact": ModelPolicy(Scope.SITE, keep(
        "id", "singleton", "title", "postal_address", "email", "phone", "regulator_name", "regulator_url", "updated_at",
    ), "the Privacy Officer's published contact (ACC-1): an office, not a person"),
    # A requester's name, address and words, kept to answer them; blanked PRIVACY_INQUIRY_KEEP_DAYS
    # after closing (privacy.inquiries.erase_expired). The staff ids are kept like the audit trail's.
    "privacy.Inquiry": ModelPolicy(Scope.SITE, {
        **keep("id", "reference", "kind", "status", "received_at", "due_on", "extended_at", "extended_by",
               "assignee", "answered_at", "closed_at", "resolution", "erased_at"),
        "name": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
        "email": pi(Category.CONTACT, erasure=Erasure.ANONYMISE),
        "message": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
        "user": pi(Category.USAGE, erasure=Erasure.ANONYMISE),
        "client_index": pi(Category.USAGE, erasure=Erasure.ANONYMISE),  # blanked an hour after receipt
        "extension_reason": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
        "resolution_note": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),
    }, "privacy questions and complaints to the officer (ACC-2, CHL-1)", exported=False),
    "privacy.InquiryEvent": ModelPolicy(Scope.SITE, {
        **keep("id", "inquiry", "at", "actor_id", "what", "detail"),
        "text": pi(Category.IDENTITY, erasure=Erasure.ANONYMISE),  # the answer, a reason, a note
    }, "an inquiry's timeline; its texts go with the inquiry's identifying fields", exported=False),
    "privacy.DailyStatistic": ModelPolicy(Scope.SITE, keep(
        "id", "metric", "day", "value", "contributors", "largest",
    ), "daily counts across all companies, no company or user id (PUR-2, RET-5); kept forever"),
    "privacy.MonthlyStatistic": ModelPolicy(Scope.SITE, keep(
        "id", "metric", "month", "value", "contributors", "largest",
    ), "monthly totals of the daily counts, no company or user id (PUR-2, RET-5); kept forever"),
    # --- ledger -------------------------------------------------------------------------------
    "ledger.Contact": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "created_at"),
        "name": pi(Category.IDENTITY),
        "email": pi(Category.CONTACT, encrypted=True),
        "phone": pi(Category.CONTACT, encrypted=True),
        "address": pi(Category.CONTACT, encrypted=True),
    }),
    "ledger.Invoice": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "contact", "number", "issue_date", "due_date", "status", "currency", "created_at"),
        "notes": pi(Category.FINANCIAL),
    }),
    "ledger.InvoiceLine": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "invoice", "position"),
        "description": pi(Category.FINANCIAL), "quantity": pi(Category.FINANCIAL),
        "unit_price": pi(Category.FINANCIAL),
    }),
    "ledger.BankAccount": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "currency", "created_at"),
        "name": pi(Category.FINANCIAL), "bank_name": pi(Category.FINANCIAL),
        "holder_name": pi(Category.IDENTITY),
        "account_number": pi(Category.FINANCIAL, encrypted=True),
    }),
    "ledger.BankConnection": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "bank_account", "provider", "status", "created_at", "last_import_at"),
        "login_name": pi(Category.CREDENTIALS, encrypted=True),
        "credentials": pi(Category.CREDENTIALS, encrypted=True),
    }, "credentials the user gave us (CON-2, SHR-1); destroyed on disconnect"),
    "ledger.BankTransaction": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "bank_account", "booked_on"),
        "description": pi(Category.FINANCIAL), "counterparty": pi(Category.IDENTITY),
        "amount": pi(Category.FINANCIAL),
        # A digest of the row's date, amount and description (or its bank's FITID): goes with the row.
        "import_fingerprint": pi(Category.FINANCIAL),
    }),
    "ledger.BankImport": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "bank_account", "file_format", "status", "size_bytes", "rows_total", "rows_done",
               "imported", "duplicates", "first_date", "last_date", "error", "created_at", "confirmed_at",
               "started_at", "finished_at"),
        "created_by": pi(Category.USAGE), "confirmed_by": pi(Category.USAGE),
        # The uploaded statement's parsed rows: sealed, blanked once imported, discarded or expired.
        "payload": pi(Category.FINANCIAL, encrypted=True),
    }, "uploaded bank statements (import from external sources); the file itself is never stored"),
    # --- consent ------------------------------------------------------------------------------
    # A user's decisions go with the user, a company's with the company (consent_forget).
    "consent.ConsentEvent": ModelPolicy(Scope.USER, {
        **keep("id", "company", "purpose", "granted", "at", "expires_at", "policy_version", "method", "actor_id",
               "prev_hash", "hash"),
        "user": pi(Category.USAGE),
    }, "the consent ledger (CON-1, CON-7): append-only, hash-chained per subject", exported=False),
    "consent.Consent": ModelPolicy(Scope.USER, {
        **keep("id", "company", "purpose", "granted", "since", "expires_at", "event"), "user": pi(Category.USAGE),
    }, "each subject's current consent per purpose", exported=False),
    "consent.UnsubscribeToken": ModelPolicy(Scope.USER, {
        **keep("id", "purpose", "created_at"), "user": pi(Category.USAGE),
        "salt": pi(Category.CREDENTIALS), "token_hash": pi(Category.CREDENTIALS),
    }, "unsubscribe links (PUR-1); only their hash is stored", exported=False),
    "consent.PurposeMessage": ModelPolicy(Scope.SITE, keep(
        "id", "purpose", "subject", "text", "created_by_id", "created_at", "status", "queued_at", "recipients",
        "sent", "skipped", "finished_at",
    ), "the officer's messages for a purpose; written for everyone, about no one"),
    "consent.Invitation": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "role", "status", "created_at", "sent_at", "expires_at", "accepted_at"),
        "name": pi(Category.IDENTITY, encrypted=True), "email": pi(Category.CONTACT, encrypted=True),
        "invited_by": pi(Category.USAGE),
    }, "an invitee's name and email, only to send the invitation (GST-3); deleted at expiry if not accepted"),
    "consent.InvitationLink": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "invitation", "created_at"),
        "nonce": pi(Category.CREDENTIALS), "token_hash": pi(Category.CREDENTIALS),
    }, "the emailed one-time links (GST-2); only their hash is stored", exported=False),
    "consent.InvitationLocator": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "invitation_id", "expires_at"),
        "email_index": pi(Category.CONTACT),  # keyed hash of the address, blank once not pending
    }, "a live invitation's blind index and expiry, for the sweep and the officer", exported=False),
    # --- retention ----------------------------------------------------------------------------
    "retention.ShutdownRequest": ModelPolicy(Scope.COMPANY, {
        **keep("id", "company", "status", "created_at", "expires_at", "finished_at"),
        "owner": pi(Category.USAGE),
        "nonce": pi(Category.CREDENTIALS), "token_hash": pi(Category.CREDENTIALS),
    }, "the emailed Shutdown Company link (CON-4); only its hash is stored", exported=False),
    "retention.ScheduledPurge": ModelPolicy(Scope.SITE, {
        **keep("id", "company", "reason", "note", "closed_by_id", "closed_at", "due_at", "state", "step",
               "table_index", "member_ids", "rows_total", "rows_deleted", "keys_destroyed", "users_anonymised",
               "files_removed", "notify_failures", "started_at", "last_progress_at", "finished_at"),
        # The owner's address for administrative messages until the purge (CON-6), blanked by it.
        "contact_email": pi(Category.CONTACT, erasure=Erasure.ANONYMISE),
    }, "a closed company's purge and its checkpoint; survives it as proof (RET-5)"),
    "retention.LegalHold": ModelPolicy(Scope.SITE, keep(
        "id", "company", "reason", "reference", "review_on", "placed_by_id", "placed_at", "released_by_id",
        "released_at",
    ), "the officer's legal basis for keeping data (PUR-4, RET-4); no personal values"),
    "retention.DeletionCertificate": ModelPolicy(Scope.SITE, keep(
        "id", "purge", "company_id", "issued_at", "policy_version", "body", "digest",
    ), "proof of a purge: tables, counts, dates; no personal values"),
    "retention.RetainedAggregate": ModelPolicy(Scope.SITE, keep(
        "id", "metric", "month", "count", "contributors", "largest", "pending_count", "pending_contributors",
        "pending_largest",
    ), "monthly totals of purged companies, no company id (RET-5); the pending part is never shown"),
}


def model_field_names(model: type[models.Model]) -> list[str]:
    """The fields the registry must classify: columns and many-to-many relations."""
    return [f.name for f in model._meta.concrete_fields] + [f.name for f in model._meta.many_to_many]


def policy_for(model: type[models.Model]) -> ModelPolicy:
    return REGISTRY[model._meta.label]


def personal_field_names() -> set[str]:
    """Names of every personal field of every model (the log scrubber looks for these keys)."""
    return {name for policy in REGISTRY.values() for name, field in policy.fields.items() if field.personal}


def models_in_scope(scope: Scope) -> list[type[models.Model]]:
    return [apps.get_model(label) for label, policy in REGISTRY.items() if policy.scope is scope]


@dataclass(frozen=True)
class InventoryRow:
    model: str
    field: str
    category: str
    personal: bool
    encrypted: bool
    erasure: str


def inventory() -> list[InventoryRow]:
    rows = []
    for label, policy in sorted(REGISTRY.items()):
        for name, field in policy.fields.items():
            rows.append(InventoryRow(label, name, field.category.value, field.personal, field.encrypted,
                                     field.erasure.value))
    return rows


def problems() -> list[tuple[str, str, str]]:
    """``(check id, object, message)`` for every disagreement between models and registry."""
    found = []
    installed = {m._meta.label: m for m in apps.get_models(include_auto_created=True)}
    for label, model in installed.items():
        policy = REGISTRY.get(label)
        names = model_field_names(model)
        for name in names:
            if policy is None or name not in policy.fields:
                found.append(("privacy.E001", f"{label}.{name}", "field is not classified in privacy/registry.py"))
                continue
            sealed = getattr(model._meta.get_field(name), "sealed", False)
            if sealed != policy.fields[name].encrypted:
                found.append(("privacy.E003", f"{label}.{name}",
                              "registry says encrypted" if not sealed else "sealed field not marked encrypted"))
        for name in (policy.fields if policy else {}):
            if name not in names:
                found.append(("privacy.E002", f"{label}.{name}", "classified field no longer exists"))
    for label in REGISTRY.keys() - installed.keys():
        found.append(("privacy.E002", label, "classified model no longer exists"))
    return found

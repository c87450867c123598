"""The two database roles: the owner (migrations) and the app role (everything else).

The app role logs in, owns nothing, is neither superuser nor BYPASSRLS, and gets plain
DML on the tables. Row-level security therefore applies to it, including on tables it
reads through foreign-key checks.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg2 import sql

# Tables the app may insert into but never change or delete from.
APPEND_ONLY_TABLES: set[str] = {"accounts_auditevent", "consent_consentevent",
                                # a stored day or month never changes: a refill after a purge would show it
                                "privacy_dailystatistic", "privacy_monthlystatistic"}
# Tables the app may insert into and update but never delete from (the purge deletes through a function).
NO_DELETE_TABLES: set[str] = {"consent_consent"}
# Key store functions the app may call (privacy/keystore.sql); each serves the current tenant only.
KEYSTORE_APP_FUNCTIONS = [
    "active_key(bigint)", "add_key(bigint, bytea, text)", "key_by_id(bigint, bigint)", "company_keys(bigint)",
    "begin_rotation(bigint, bytea, text)", "destroy_retired_key(bigint, bigint)", "destroy_company_keys(bigint)",
]

# The purge's batch delete (retention/purge_rows.sql); it refuses all but a closed company's rows.
PURGE_APP_FUNCTIONS = ["retention_purge_rows(bigint, regclass, integer)",
                       "consent_forget(bigint, bigint[])"]  # consent/forget.sql
# Anonymous counts across companies for privacy.statistics (ledger/ and consent/statistics.sql): numbers only.
STATISTICS_APP_FUNCTIONS = ["ledger_statistic(text, date, date)", "consent_statistic(text, date, date)"]
# The ledger search's id lookup (ledger/search.py): the current company's ids only.
SEARCH_APP_FUNCTIONS = ["ledger_search_ids(text, text, integer)"]


def ensure_app_role(*, using: str = "owner", password: str = "") -> bool:
    """Create the app role if missing (as the owner). Return True when it was created."""
    user = settings.DATABASE_APP_USER
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user])
        if cursor.fetchone():
            if password:
                cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(user)), [password])
            return False
        statement = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(
            sql.Identifier(user)
        )
        if password:
            statement = sql.SQL("{} PASSWORD %s").format(statement)
        cursor.execute(statement, [password] if password else None)
        return True


def grant_app_privileges(*, using: str = "owner") -> None:
    """Give the app role DML on every table and sequence; idempotent, run after each migrate."""
    user = sql.Identifier(settings.DATABASE_APP_USER)
    with connections[using].cursor() as cursor:
        cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(user))
        cursor.execute(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(user)
        )
        cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(user))
        cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA keystore TO {}").format(user))
        for function in KEYSTORE_APP_FUNCTIONS:
            cursor.execute(sql.SQL("GRANT EXECUTE ON FUNCTION keystore.{} TO {}").format(sql.SQL(function), user))
        for function in PURGE_APP_FUNCTIONS + STATISTICS_APP_FUNCTIONS + SEARCH_APP_FUNCTIONS:
            cursor.execute(sql.SQL("GRANT EXECUTE ON FUNCTION public.{} TO {}").format(sql.SQL(function), user))
        for table in sorted(APPEND_ONLY_TABLES):
            cursor.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), user))
        for table in sorted(NO_DELETE_TABLES):
            cursor.execute(sql.SQL("REVOKE DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), user))


def assert_app_role_is_confined(connection: BaseDatabaseWrapper) -> None:
    """Refuse to serve through a role that row-level security would not apply to."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user"
        )
        superuser, bypass, user = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        (owned,) = cursor.fetchone()
    if superuser or bypass or owned:
        raise ImproperlyConfigured(
            f"The app database role {user!r} must not be superuser, BYPASSRLS or a table owner "
            "(row-level security would not apply). Use DATABASE_APP_USER / DATABASE_APP_URL."
        )

"""Where each table goes on a distributed PostgreSQL (Citus), and the rules that keep the schema acceptable to it.

Citus shards *distributed* tables by one column and copies *reference* tables to every node;
every other table stays a *local* table on the coordinator. Ours:

* distributed: every tenant table (``tenancy.TenantModel``), by ``company_id``, all co-located, so
  one company's rows of every table live on the same node and each request is routed to one shard;
* reference: the tables tenant rows point at and that are not one company's (companies, users);
* local: everything read across companies by the application's own machinery (audit, officer
  records, the outbox, purges, consent ledger, key store, Django's and third-party tables).

``TABLE_ROLES`` names every non-tenant table with its role and the reason; a table in neither is
an error (``schema_violations``, run by ``tests/ops/test_distribution_ready.py`` on the live
schema), so a new model must be placed. What Citus refuses, and therefore what is checked:

* a distributed table's primary key and unique keys lack the distribution column;
* a foreign key between distributed tables does not pair ``company_id`` with ``company_id``
  (same position on both sides), or a distributed table references a local one;
* a reference or local table references a distributed one (we also keep reference tables from
  pointing at local ones: their rows live on every node, their parents should too);
* ``SET NULL``/``SET DEFAULT``/``CASCADE`` actions on keys that touch distributed or reference tables;
* triggers on distributed or reference tables (refused unless ``citus.enable_unsafe_triggers``);
* identity columns other than ``bigint`` on distributed or reference tables.

``manage.py citus_plan`` prints the statements that distribute the tables (docs/scaling.md).
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Literal

from accounts.tenancy import GLOBAL_TABLES_WITH_COMPANY, tenant_models

Role = Literal["distributed", "reference", "local"]
DISTRIBUTION_COLUMN = "company_id"
REFERENCE: Role = "reference"
LOCAL: Role = "local"
DISTRIBUTED: Role = "distributed"
# The tenant table the others are co-located with (``colocate_with``): the ledger's root, which has no tenant parent.
COLOCATION_ANCHOR = "ledger_contact"

_DJANGO_AUTH = "Django's permissions and groups: read on the coordinator by the admin and the officer pages only"

# Every table that is not a tenant table: (role, why). Keys are table names, schema-qualified outside public.
TABLE_ROLES: dict[str, tuple[Role, str]] = {
    "accounts_company": (REFERENCE, "the tenants: every tenant row's company_id references it, and local tables "
                                    "(memberships, audit, purges, consent) do too, which a distributed companies "
                                    "table would forbid; few small rows, written rarely"),
    "accounts_user": (REFERENCE, "tenant rows reference users (an invitation's inviter, an import's uploader, a "
                                 "shutdown's owner), and a user belongs to many companies: it cannot be sharded by one"),
    **{table: (LOCAL, reason) for table, reason in GLOBAL_TABLES_WITH_COMPANY.items()},
    "accounts_outboxmessage": (LOCAL, "the delivery queue, claimed across companies by workers "
                                      "(FOR UPDATE SKIP LOCKED); ids only"),
    "accounts_user_groups": (LOCAL, _DJANGO_AUTH),
    "accounts_user_user_permissions": (LOCAL, _DJANGO_AUTH),
    "auth_group": (LOCAL, _DJANGO_AUTH),
    "auth_group_permissions": (LOCAL, _DJANGO_AUTH),
    "auth_permission": (LOCAL, _DJANGO_AUTH),
    "django_content_type": (LOCAL, _DJANGO_AUTH),
    "django_admin_log": (LOCAL, "the admin's own log, per user"),
    "django_migrations": (LOCAL, "the coordinator's migration history (DDL is run on the coordinator)"),
    "django_session": (LOCAL, "sessions, looked up by key before any company is known"),
    "axes_accessattempt": (LOCAL, "login throttling, keyed by user name and address, before any company"),
    "axes_accessattemptexpiration": (LOCAL, "login throttling (django-axes)"),
    "axes_accessfailurelog": (LOCAL, "login throttling (django-axes)"),
    "axes_accesslog": (LOCAL, "login throttling (django-axes)"),
    "axes_cache": (LOCAL, "the database cache django-axes counts failures in"),
    "knox_authtoken": (LOCAL, "API tokens, looked up by digest before any company is known"),
    "otp_static_staticdevice": (LOCAL, "a user's recovery codes (per user, not per company)"),
    "otp_static_statictoken": (LOCAL, "a user's recovery codes (per user, not per company)"),
    "otp_totp_totpdevice": (LOCAL, "a user's authenticator app (per user, not per company)"),
    "consent_purposemessage": (LOCAL, "the officer's messages to everyone who consented to a purpose; across "
                                      "companies (the purposes themselves are code, consent/purposes.py)"),
    "consent_unsubscribetoken": (LOCAL, "a user's unsubscribe links: per user, not per company"),
    "privacy_policyversion": (LOCAL, "the policy versions: a trigger refuses changes to a published one, and Citus "
                                     "refuses triggers on reference tables; read by the web only, never joined "
                                     "with tenant rows"),
    "privacy_policynotice": (LOCAL, "a user's notices of policy changes: per user"),
    "privacy_officercontact": (LOCAL, "the officer's published contact, one row"),
    "privacy_inquiry": (LOCAL, "the officer's inquiries from users and the public, across companies"),
    "privacy_inquiryevent": (LOCAL, "the history of the officer's inquiries"),
    "privacy_dailystatistic": (LOCAL, "the officer's statistics: counts across companies, none identifying"),
    "privacy_monthlystatistic": (LOCAL, "the officer's statistics: counts across companies, none identifying"),
    "retention_retainedaggregate": (LOCAL, "counts kept from purged companies for the statistics; no company id"),
    "keystore.data_key": (LOCAL, "the companies' wrapped data keys: one copy, on the coordinator, reached only "
                                 "through keystore's definer functions; a purge destroys a company's keys in one "
                                 "place, not on every node"),
}


def distributed_tables() -> list[str]:
    return sorted(m._meta.db_table for m in tenant_models())


def role_of(table: str) -> Role | None:
    if table in distributed_tables():
        return DISTRIBUTED
    entry = TABLE_ROLES.get(table)
    return entry[0] if entry else None


def _model_dependencies() -> dict[str, set[str]]:
    """Table -> tables its models' foreign keys point at (composite keys included: parent_reference fields)."""
    from django.apps import apps

    graph: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        graph.setdefault(table, set())
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not None:
                parent = field.related_model._meta.db_table
                if parent != table:
                    graph[table].add(parent)
    return graph


def _in_dependency_order(tables: list[str], graph: dict[str, set[str]]) -> list[str]:
    """``tables`` with each table's parents (within ``tables``) before it; ties by name, for a stable output."""
    wanted = set(tables)
    sorter: TopologicalSorter[str] = TopologicalSorter(
        {t: graph.get(t, set()) & wanted for t in sorted(wanted)})
    sorter.prepare()
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return ordered


def citus_plan() -> list[str]:
    """The SQL (and comment) lines that distribute this schema on Citus, every table exactly once."""
    graph = _model_dependencies()
    reference = _in_dependency_order([t for t, (role, _) in TABLE_ROLES.items() if role == REFERENCE], graph)
    anchor = COLOCATION_ANCHOR
    distributed = _in_dependency_order(distributed_tables(), graph)
    distributed.remove(anchor)  # first: it references no tenant table
    local = sorted(t for t, (role, _) in TABLE_ROLES.items() if role == LOCAL)
    lines = [
        "-- Generated by `manage.py citus_plan` from the models and accounts/distribution.py; run on the",
        "-- coordinator after `migrate`, once it is in the metadata (SELECT citus_set_coordinator_host(...)).",
        "-- 1. Reference tables, copied to every node; referenced tables first.",
        *(f"SELECT create_reference_table('{t}');" for t in reference),
        f"-- 2. Tenant tables, sharded by {DISTRIBUTION_COLUMN} and co-located with {anchor}; parents first.",
        f"SELECT create_distributed_table('{anchor}', '{DISTRIBUTION_COLUMN}');",
        *(f"SELECT create_distributed_table('{t}', '{DISTRIBUTION_COLUMN}', colocate_with => '{anchor}');"
          for t in distributed),
        "-- 3. Local tables stay on the coordinator. Those with a key to a reference table become",
        "--    Citus local tables by themselves (citus.enable_local_reference_table_foreign_keys, on by default).",
        *(f"-- local: {t}: {TABLE_ROLES[t][1]}" for t in local),
    ]
    return lines


# The live schema, from pg_catalog: every ordinary or partitioned table outside the system schemas.
_TABLES_SQL = """
    SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"""
_UNIQUE_SQL = """
    SELECT i.indrelid, ic.relname, i.indisprimary,
           array(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) k(n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indisunique"""
_FOREIGN_KEYS_SQL = """
    SELECT c.conname, c.conrelid, c.confrelid, c.confdeltype, c.confupdtype,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o),
           array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)
    FROM pg_constraint c WHERE c.contype = 'f'"""
_TRIGGERS_SQL = "SELECT tgrelid, tgname FROM pg_trigger WHERE NOT tgisinternal"
_COLUMNS_SQL = """
    SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity
    FROM pg_attribute a WHERE a.attnum > 0 AND NOT a.attisdropped"""
_PRIMARY_KEY_SQL = "SELECT conrelid FROM pg_constraint WHERE contype = 'p'"
_ALLOWED_ACTIONS = {"a", "r"}  # NO ACTION, RESTRICT


def schema_violations(connection: Any) -> list[str]:
    """What Citus would refuse in the live schema of ``connection``, one sentence each (empty: ready)."""
    with connection.cursor() as cursor:
        cursor.execute(_TABLES_SQL)
        names = dict((oid, name) for name, oid in cursor.fetchall())
        cursor.execute(_UNIQUE_SQL)
        uniques = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS_SQL)
        foreign_keys = cursor.fetchall()
        cursor.execute(_TRIGGERS_SQL)
        triggers = cursor.fetchall()
        cursor.execute(_COLUMNS_SQL)
        columns = cursor.fetchall()
        cursor.execute(_PRIMARY_KEY_SQL)
        with_primary_key = {oid for (oid,) in cursor.fetchall()}

    distributed = set(distributed_tables())
    roles: dict[str, Role | None] = {
        name: DISTRIBUTED if name in distributed else TABLE_ROLES.get(name, (None, ""))[0] for name in names.values()}
    problems: list[str] = []
    for table in sorted(distributed & set(TABLE_ROLES)):
        problems.append(f"{table} is a tenant table and also declared {TABLE_ROLES[table][0]}")
    for table in sorted((distributed | set(TABLE_ROLES)) - set(names.values())):
        problems.append(f"{table} is declared but not in the database")
    for table in sorted(t for t, role in roles.items() if role is None):
        problems.append(f"{table} is neither a tenant table nor declared reference or local (accounts/distribution.py)")
    for table in sorted(GLOBAL_TABLES_WITH_COMPANY):
        if roles.get(table) != LOCAL:
            problems.append(f"{table} carries company_id for the application only, so it must be declared local")

    def role(oid: int) -> Role | None:
        return roles.get(names.get(oid, ""))

    for oid, name in sorted(names.items(), key=lambda item: item[1]):
        if roles[name] == DISTRIBUTED and oid not in with_primary_key:
            problems.append(f"{name} has no primary key")
    for relid, index, primary, key_columns in sorted(uniques, key=lambda u: (names.get(u[0], ""), u[1])):
        if role(relid) == DISTRIBUTED and DISTRIBUTION_COLUMN not in key_columns:
            kind = "primary key" if primary else "unique index"
            problems.append(f"{names[relid]}: {kind} {index} ({', '.join(key_columns) or 'an expression'}) "
                            f"lacks {DISTRIBUTION_COLUMN}")
    for name, child, parent, on_delete, on_update, child_columns, parent_columns in foreign_keys:
        child_role, parent_role = role(child), role(parent)
        if child_role is None or parent_role is None:
            continue  # reported above as undeclared
        where = f"{names[child]}.{name} ({', '.join(child_columns)}) -> {names[parent]}"
        if child_role == DISTRIBUTED and parent_role == DISTRIBUTED:
            pairs = list(zip(child_columns, parent_columns, strict=True))
            if (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in pairs:
                problems.append(f"{where}: a key between tenant tables must pair company_id with company_id")
        elif child_role == DISTRIBUTED and parent_role == LOCAL:
            problems.append(f"{where}: a tenant table cannot reference a local table")
        elif child_role != DISTRIBUTED and parent_role == DISTRIBUTED:
            problems.append(f"{where}: a {child_role} table cannot reference a tenant (distributed) table")
        elif child_role == REFERENCE and parent_role == LOCAL:
            problems.append(f"{where}: a reference table may only reference reference tables")
        if DISTRIBUTED in (child_role, parent_role) or REFERENCE in (child_role, parent_role):
            if on_delete not in _ALLOWED_ACTIONS or on_update not in _ALLOWED_ACTIONS:
                problems.append(f"{where}: only NO ACTION or RESTRICT on keys of distributed and reference tables")
    for relid, trigger in triggers:
        if role(relid) in (DISTRIBUTED, REFERENCE):
            problems.append(f"{names[relid]}: trigger {trigger} (Citus refuses triggers on {role(relid)} tables)")
    for relid, column, type_name, not_null, identity in columns:
        table_role = role(relid)
        if table_role == DISTRIBUTED and column == DISTRIBUTION_COLUMN and (type_name != "bigint" or not not_null):
            problems.append(f"{names[relid]}.{column} must be bigint NOT NULL, it is {type_name}")
        if table_role in (DISTRIBUTED, REFERENCE) and identity and type_name != "bigint":
            problems.append(f"{names[relid]}.{column}: Citus takes identity columns of type bigint only")
    distributed_oids = {oid for oid, name in names.items() if roles[name] == DISTRIBUTED}
    with_column = {relid for relid, column, *_ in columns if column == DISTRIBUTION_COLUMN}
    for oid in sorted(distributed_oids - with_column, key=names.__getitem__):
        problems.append(f"{names[oid]} has no {DISTRIBUTION_COLUMN} column")
    return problems

"""Issue 14, finding things: the search functions and gram indexes (ledger/search.py) and the sort indexes.

The functions are written out here, not imported, so this migration stays as it ran.
"""

import django.contrib.postgres.indexes
import ledger.search
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.ledger_search_grams(company bigint, value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT company::text || ':' || gram), '{}')
    FROM (SELECT ' ' || lower(value) AS v) padded,
         LATERAL (SELECT substr(v, i, 3) AS gram FROM generate_series(1, length(v) - 2) i
                  UNION ALL
                  SELECT substr(v, i, 2) FROM generate_series(1, length(v) - 1) i WHERE substr(v, i, 1) = ' ') grams
$$;
COMMENT ON FUNCTION public.ledger_search_grams(bigint, text) IS
    'Search keys of a value: its 3-character grams and word starts, lowercased, each prefixed with the company (ledger/search.py)';

CREATE OR REPLACE FUNCTION public.ledger_search_term_grams(company bigint, term text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) < 3 THEN ARRAY[company::text || ': ' || t]
                ELSE (SELECT array_agg(DISTINCT company::text || ':' || substr(t, i, 3))
                      FROM generate_series(1, length(t) - 2) i) END
    FROM (SELECT lower(term) AS t) lowered
$$;
COMMENT ON FUNCTION public.ledger_search_term_grams(bigint, text) IS
    'The search keys a term needs: a word start below 3 characters, else its 3-character grams (ledger/search.py)';

-- The ids of the current company's rows whose column matches a term, or NULL when more than p_most
-- do. SECURITY DEFINER: under row-level security no GIN condition may be an index condition (none is
-- LEAKPROOF), so the app role's own query could not use the gram index; as the migrating role
-- (which bypasses it where it is superuser) this query can. It reads only the company the caller's
-- transaction has entered (app.company_id; none: nothing), one of four fixed columns, and returns
-- ids only, rechecked exactly (lowercase LIKE, the term's wildcards escaped).
CREATE OR REPLACE FUNCTION public.ledger_search_ids(p_kind text, p_term text, p_most integer) RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_company bigint := NULLIF(current_setting('app.company_id', true), '')::bigint;
  v_term text := lower(p_term);
  v_escaped text;
  v_start text;
  v_inside text;
  v_table text;
  v_column text;
  v_ids bigint[];
BEGIN
  CASE p_kind
    WHEN 'contact.name' THEN v_table := 'ledger_contact'; v_column := 'name';
    WHEN 'invoice.number' THEN v_table := 'ledger_invoice'; v_column := 'number';
    WHEN 'banktransaction.description' THEN v_table := 'ledger_banktransaction'; v_column := 'description';
    WHEN 'banktransaction.counterparty' THEN v_table := 'ledger_banktransaction'; v_column := 'counterparty';
    ELSE RAISE EXCEPTION 'ledger_search_ids: no kind %', p_kind USING ERRCODE = '22023';
  END CASE;
  IF v_company IS NULL OR v_term IS NULL OR v_term = '' OR p_most IS NULL OR p_most < 0 THEN
    RETURN '{}';
  END IF;
  v_escaped := replace(replace(replace(v_term, '\', '\\'), '%', '\%'), '_', '\_');
  IF length(v_term) < 3 THEN  -- the start of a word
    v_start := v_escaped || '%'; v_inside := '% ' || v_escaped || '%';
  ELSE  -- any part
    v_start := '%' || v_escaped || '%'; v_inside := v_start;
  END IF;
  EXECUTE format('SELECT array_agg(id) FROM (SELECT t.id FROM public.%I t WHERE t.company_id = $1'
                 ' AND public.ledger_search_grams(t.company_id, t.%I) @> public.ledger_search_term_grams($1, $2)'
                 ' AND (lower(t.%I) LIKE $3 OR lower(t.%I) LIKE $4) LIMIT $5 + 1) found',
                 v_table, v_column, v_column, v_column)
    INTO v_ids USING v_company, v_term, v_start, v_inside, p_most;
  IF cardinality(v_ids) > p_most THEN
    RETURN NULL;
  END IF;
  RETURN coalesce(v_ids, '{}');
END $$;
REVOKE ALL ON FUNCTION public.ledger_search_ids(text, text, integer) FROM PUBLIC;
"""
DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS public.ledger_search_ids(text, text, integer);
DROP FUNCTION IF EXISTS public.ledger_search_term_grams(bigint, text);
DROP FUNCTION IF EXISTS public.ledger_search_grams(bigint, text);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_policy_draft_event'),
        ('ledger', '0011_bank_imports'),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.RemoveIndex(
            model_name='contact',
            name='contact_company_name',
        ),
        migrations.AddIndex(
            model_name='banktransaction',
            index=models.Index(fields=['company', 'amount', 'id'], name='banktx_company_amount'),
        ),
        migrations.AddIndex(
            model_name='banktransaction',
            index=models.Index(fields=['company', 'description', 'id'], name='banktx_company_description'),
        ),
        migrations.AddIndex(
            model_name='banktransaction',
            index=django.contrib.postgres.indexes.GinIndex(ledger.search.SearchGrams('company', 'description'), name='banktx_description_search'),
        ),
        migrations.AddIndex(
            model_name='banktransaction',
            index=django.contrib.postgres.indexes.GinIndex(ledger.search.SearchGrams('company', 'counterparty'), name='banktx_counterparty_search'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['company', 'name', 'id'], name='contact_company_name_id'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=django.contrib.postgres.indexes.GinIndex(ledger.search.SearchGrams('company', 'name'), name='contact_name_search'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(fields=['company', 'status', 'id'], name='invoice_company_status'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=django.contrib.postgres.indexes.GinIndex(ledger.search.SearchGrams('company', 'number'), name='invoice_number_search'),
        ),
    ]

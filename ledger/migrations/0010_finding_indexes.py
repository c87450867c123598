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
"""
DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS public.ledger_search_term_grams(bigint, text);
DROP FUNCTION IF EXISTS public.ledger_search_grams(bigint, text);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_policy_draft_event'),
        ('ledger', '0009_constraint_messages'),
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

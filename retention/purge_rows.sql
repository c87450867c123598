-- retention_purge_rows: one batch of a closed company's rows, deleted without per-row key checks.
--
-- Every row of the company goes, children before parents, and the purge re-scans every table
-- afterwards (retention/purge.py), so the foreign-key checks that deleting a parent row runs
-- would only ever find rows of the same company that are already gone: 0.8 s of work for a
-- 1,000,000-row company, more than the deletes themselves. The function runs as the tables'
-- owner with session_replication_role = replica (triggers, and so those checks, off) when the
-- owner may set it ({replica_clause}), and refuses everything except a batch of the current tenant's rows of a
-- tenant table, for a company that is closed and whose purge is not done. Row-level security
-- still applies where the owner is not a superuser (the tables force it on their owner too);
-- the delete names the company itself in any case. Legal holds are checked by the purge engine
-- before each batch, under the purge row's lock (LegalHold.objects.active, one place).
-- What it adds to the app role's own powers (it may already DELETE its tenant's rows): deleting
-- without the key checks, so a caller that had closed a company could leave orphan rows behind.
-- Every name is schema-qualified and the search path holds only pg_catalog: nothing the app
-- role could create elsewhere runs with the owner's rights.
CREATE OR REPLACE FUNCTION public.retention_purge_rows(p_company bigint, p_table regclass, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp {set_clause} AS $$
DECLARE
  deleted bigint;
BEGIN
  IF p_company IS DISTINCT FROM NULLIF(pg_catalog.current_setting('app.company_id', true), '')::bigint THEN
    RAISE EXCEPTION 'purge: company % is not the current tenant', p_company USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.accounts_company c JOIN public.retention_scheduledpurge p ON p.company_id = c.id
                 WHERE c.id = p_company AND c.status = 'closed' AND p.state <> 'done') THEN
    RAISE EXCEPTION 'purge: company % is not closed with a purge under way', p_company USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = p_table AND polname = 'tenant_isolation') THEN
    RAISE EXCEPTION 'purge: % is not a tenant table', p_table USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DELETE FROM %s WHERE ctid = ANY(ARRAY(SELECT ctid FROM %s WHERE company_id = $1 LIMIT $2))',
                 p_table, p_table) USING p_company, p_limit;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END $$;
REVOKE ALL ON FUNCTION public.retention_purge_rows(bigint, regclass, integer) FROM PUBLIC;

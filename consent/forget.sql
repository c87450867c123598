-- consent_forget: the purge's deletion of consent rows, which the app role may not delete itself.
--
-- The ledger (consent_consentevent) is append-only for the app role, and so is the state table
-- for deletes (consent_consent). This function, run as their owner, deletes only:
--   * the rows of company p_company, if it is closed with a purge under way;
--   * the rows of the users in p_users that the purge has anonymised (inactive, placeholder
--     address, member of no company: accounts.services.anonymise_users).
-- A subject's whole chain goes at once, so every other chain still verifies. Every name is
-- schema-qualified and the search path holds only pg_catalog.
CREATE OR REPLACE FUNCTION public.consent_forget(p_company bigint, p_users bigint[])
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  deleted bigint := 0;
  n bigint;
  forgettable bigint[];
BEGIN
  IF p_company IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM public.accounts_company c JOIN public.retention_scheduledpurge p ON p.company_id = c.id
                   WHERE c.id = p_company AND c.status = 'closed' AND p.state <> 'done') THEN
      RAISE EXCEPTION 'consent: company % is not closed with a purge under way', p_company USING ERRCODE = '42501';
    END IF;
    DELETE FROM public.consent_consent WHERE company_id = p_company;
    DELETE FROM public.consent_consentevent WHERE company_id = p_company;
    GET DIAGNOSTICS n = ROW_COUNT;
    deleted := deleted + n;
  END IF;
  SELECT pg_catalog.array_agg(u.id) INTO forgettable FROM public.accounts_user u
   WHERE u.id = ANY(COALESCE(p_users, '{}')) AND NOT u.is_active
     AND u.email OPERATOR(pg_catalog.=) ('user-' || u.id || '@deleted.invalid')
     AND NOT EXISTS (SELECT 1 FROM public.accounts_membership m WHERE m.user_id = u.id);
  IF forgettable IS NOT NULL THEN
    DELETE FROM public.consent_consent WHERE user_id = ANY(forgettable);
    DELETE FROM public.consent_consentevent WHERE user_id = ANY(forgettable);
    GET DIAGNOSTICS n = ROW_COUNT;
    deleted := deleted + n;
  END IF;
  RETURN deleted;
END $$;
REVOKE ALL ON FUNCTION public.consent_forget(bigint, bigint[]) FROM PUBLIC;

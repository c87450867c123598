-- consent_statistic: an anonymous figure over every company's invitations, for privacy.statistics (PUR-2).
--
-- Invitations are tenant rows under forced row-level security, on their owner too where it is no
-- superuser. Like ledger_statistic (ledger/statistics.sql), this function, run as the owner, makes
-- each company current in turn (its SET clause puts the caller's company back on return) and
-- returns one row of three numbers for one whole UTC day or calendar month [p_from, p_to): value, contributors
-- (companies with at least one) and largest (the biggest single company's part). Never a row, an
-- id or a value from a row; the metric picks a query written here, an unknown one is refused.
CREATE OR REPLACE FUNCTION public.consent_statistic(p_metric text, p_from date, p_to date)
RETURNS TABLE (value bigint, contributors bigint, largest bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET app.company_id = '' AS $$
DECLARE
  v_company bigint;
  n bigint;
BEGIN
  IF p_metric IS DISTINCT FROM 'invitations' THEN
    RAISE EXCEPTION 'consent_statistic: no metric %', p_metric USING ERRCODE = '22023';
  END IF;
  -- One day or one calendar month, as privacy.statistics stores them: never a company's lifetime.
  IF p_from IS NULL OR p_to IS NULL
     OR NOT (p_to = p_from + 1 OR (extract(day FROM p_from) = 1 AND p_to = (p_from + interval '1 month')::date)) THEN
    RAISE EXCEPTION 'consent_statistic: give one day or one calendar month' USING ERRCODE = '22023';
  END IF;
  value := 0; contributors := 0; largest := 0;
  FOR v_company IN SELECT c.id FROM public.accounts_company c  -- the companies alive in the period
                   WHERE c.status <> 'purged' AND c.created_at < p_to::timestamp AT TIME ZONE 'UTC'
                     AND (c.closed_at IS NULL OR c.closed_at >= p_from::timestamp AT TIME ZONE 'UTC')
                   ORDER BY c.id LOOP
    PERFORM pg_catalog.set_config('app.company_id', v_company::text, true);
    SELECT count(*) INTO n FROM public.consent_invitation i
     WHERE i.company_id = v_company AND i.created_at >= p_from::timestamp AT TIME ZONE 'UTC'
       AND i.created_at < p_to::timestamp AT TIME ZONE 'UTC';
    IF n > 0 THEN
      value := value + n; contributors := contributors + 1; largest := GREATEST(largest, n);
    END IF;
  END LOOP;
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION public.consent_statistic(text, date, date) FROM PUBLIC;

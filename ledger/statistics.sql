-- ledger_statistic: an anonymous figure over every company's ledger, for privacy.statistics (PUR-2).
--
-- The ledger tables force row-level security, on their owner too where it is no superuser: no
-- role sees a company's rows without that company current. This function, run as the owner,
-- makes each company current in turn (its SET clause puts the caller's company back on return,
-- error or not) and returns one row of three numbers for one whole UTC day or calendar month [p_from, p_to):
--   value         rows of the metric,
--   contributors  companies with at least one,
--   largest       the biggest single company's part of value.
-- Never a row, an id or a value from a row. The metric picks a query written here (no table name
-- or SQL comes from the caller); an unknown one is refused. Every name is schema-qualified and
-- the search path holds only pg_catalog.
CREATE OR REPLACE FUNCTION public.ledger_statistic(p_metric text, p_from date, p_to date)
RETURNS TABLE (value bigint, contributors bigint, largest bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET app.company_id = '' AS $$
DECLARE
  v_company bigint;
  n bigint;
  v_from timestamptz := p_from::timestamp AT TIME ZONE 'UTC';
  v_to timestamptz := p_to::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF p_metric IS NULL OR p_metric NOT IN ('invoices', 'transactions') THEN
    RAISE EXCEPTION 'ledger_statistic: no metric %', p_metric USING ERRCODE = '22023';
  END IF;
  -- One day or one calendar month, as privacy.statistics stores them: never a company's lifetime.
  IF p_from IS NULL OR p_to IS NULL
     OR NOT (p_to = p_from + 1 OR (extract(day FROM p_from) = 1 AND p_to = (p_from + interval '1 month')::date)) THEN
    RAISE EXCEPTION 'ledger_statistic: give one day or one calendar month' USING ERRCODE = '22023';
  END IF;
  value := 0; contributors := 0; largest := 0;
  FOR v_company IN SELECT c.id FROM public.accounts_company c  -- the companies alive in the period
                   WHERE c.status <> 'purged' AND c.created_at < p_to::timestamp AT TIME ZONE 'UTC'
                     AND (c.closed_at IS NULL OR c.closed_at >= p_from::timestamp AT TIME ZONE 'UTC')
                   ORDER BY c.id LOOP
    PERFORM pg_catalog.set_config('app.company_id', v_company::text, true);
    IF p_metric = 'invoices' THEN
      SELECT count(*) INTO n FROM public.ledger_invoice i
       WHERE i.company_id = v_company AND i.created_at >= v_from AND i.created_at < v_to;
    ELSE
      SELECT count(*) INTO n FROM public.ledger_banktransaction t
       WHERE t.company_id = v_company AND t.booked_on >= p_from AND t.booked_on < p_to;
    END IF;
    IF n > 0 THEN
      value := value + n; contributors := contributors + 1; largest := GREATEST(largest, n);
    END IF;
  END LOOP;
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION public.ledger_statistic(text, date, date) FROM PUBLIC;

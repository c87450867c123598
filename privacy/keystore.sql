-- The key store: wrapped per-company data keys, apart from the data (RET-2).
-- Owned by its own NOLOGIN role. The app role cannot read the table; it may only call the
-- functions below, which hand out the keys of the company set in app.company_id (the same
-- setting row-level security uses). The migration role keeps the master-key rewrap functions.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'softhelpers_keystore') THEN
    CREATE ROLE softhelpers_keystore NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
GRANT softhelpers_keystore TO SESSION_USER;
CREATE SCHEMA keystore AUTHORIZATION softhelpers_keystore;
REVOKE ALL ON SCHEMA keystore FROM PUBLIC;
SET LOCAL ROLE softhelpers_keystore;

CREATE TABLE keystore.data_key (
    id bigserial PRIMARY KEY,
    company_id bigint NOT NULL,
    wrapped bytea NOT NULL,
    master_key_id text NOT NULL,
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retiring')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX data_key_one_active ON keystore.data_key (company_id) WHERE state = 'active';
CREATE INDEX data_key_company ON keystore.data_key (company_id);

CREATE FUNCTION keystore.current_company() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.company_id', true), '')::bigint $$;

CREATE FUNCTION keystore.check_company(p_company bigint) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_company IS DISTINCT FROM keystore.current_company() THEN
    RAISE EXCEPTION 'key store: company % is not the current tenant', p_company USING ERRCODE = '42501';
  END IF;
END $$;

-- The active key, share-locked: a key rotation waits for writers that sealed with it.
CREATE FUNCTION keystore.active_key(p_company bigint)
RETURNS TABLE (key_id bigint, wrapped bytea, master_key_id text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
BEGIN
  PERFORM keystore.check_company(p_company);
  RETURN QUERY SELECT k.id, k.wrapped, k.master_key_id FROM keystore.data_key k
               WHERE k.company_id = p_company AND k.state = 'active' FOR SHARE;
END $$;

CREATE FUNCTION keystore.add_key(p_company bigint, p_wrapped bytea, p_master text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
DECLARE new_id bigint;
BEGIN
  PERFORM keystore.check_company(p_company);
  INSERT INTO keystore.data_key (company_id, wrapped, master_key_id) VALUES (p_company, p_wrapped, p_master)
  ON CONFLICT (company_id) WHERE state = 'active' DO NOTHING RETURNING id INTO new_id;
  RETURN new_id;  -- NULL: another transaction created it first
END $$;

CREATE FUNCTION keystore.key_by_id(p_company bigint, p_key bigint)
RETURNS TABLE (wrapped bytea, master_key_id text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
BEGIN
  PERFORM keystore.check_company(p_company);
  RETURN QUERY SELECT k.wrapped, k.master_key_id FROM keystore.data_key k
               WHERE k.company_id = p_company AND k.id = p_key;
END $$;

CREATE FUNCTION keystore.company_keys(p_company bigint)
RETURNS TABLE (key_id bigint, state text, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
BEGIN
  PERFORM keystore.check_company(p_company);
  RETURN QUERY SELECT k.id, k.state, k.created_at FROM keystore.data_key k
               WHERE k.company_id = p_company ORDER BY k.id;
END $$;

-- Retire the active key and make a new one active; waits for writers holding the old one.
CREATE FUNCTION keystore.begin_rotation(p_company bigint, p_wrapped bytea, p_master text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
DECLARE new_id bigint;
BEGIN
  PERFORM keystore.check_company(p_company);
  UPDATE keystore.data_key SET state = 'retiring' WHERE company_id = p_company AND state = 'active';
  INSERT INTO keystore.data_key (company_id, wrapped, master_key_id) VALUES (p_company, p_wrapped, p_master)
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;

CREATE FUNCTION keystore.destroy_retired_key(p_company bigint, p_key bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
BEGIN
  PERFORM keystore.check_company(p_company);
  DELETE FROM keystore.data_key WHERE company_id = p_company AND id = p_key AND state = 'retiring';
  RETURN FOUND;
END $$;

-- Crypto-shredding for the purge: every key of the company, at once.
CREATE FUNCTION keystore.destroy_company_keys(p_company bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
DECLARE n integer;
BEGIN
  PERFORM keystore.check_company(p_company);
  DELETE FROM keystore.data_key WHERE company_id = p_company;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- Master-key rotation: for the migration (owner) role only, never granted to the app role.
CREATE FUNCTION keystore.keys_not_wrapped_with(p_master text, p_limit integer)
RETURNS TABLE (key_id bigint, company_id bigint, wrapped bytea, master_key_id text)
LANGUAGE sql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
  SELECT id, company_id, wrapped, master_key_id FROM keystore.data_key
  WHERE master_key_id <> p_master ORDER BY id LIMIT p_limit FOR UPDATE SKIP LOCKED
$$;

CREATE FUNCTION keystore.rewrap(p_key bigint, p_old_master text, p_wrapped bytea, p_master text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
BEGIN
  UPDATE keystore.data_key SET wrapped = p_wrapped, master_key_id = p_master
  WHERE id = p_key AND master_key_id = p_old_master;
  RETURN FOUND;
END $$;

CREATE FUNCTION keystore.key_count() RETURNS TABLE (master_key_id text, keys bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = keystore, pg_temp AS $$
  SELECT master_key_id, count(*) FROM keystore.data_key GROUP BY master_key_id ORDER BY 1
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA keystore FROM PUBLIC;
GRANT USAGE ON SCHEMA keystore TO SESSION_USER;
GRANT EXECUTE ON FUNCTION keystore.keys_not_wrapped_with(text, integer), keystore.rewrap(bigint, text, bytea, text),
  keystore.key_count() TO SESSION_USER;
RESET ROLE;

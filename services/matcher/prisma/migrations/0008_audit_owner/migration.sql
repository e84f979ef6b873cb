-- The audit trail moves into its own schema, so that on Postgres it can leave the application role's
-- hands (docs/privacy.md "Audit trail"): infra/postgres/init/20-audit-owner.sql lets the superuser give
-- the schema, table and functions to the role glimpse_audit; the application role `glimpse` keeps INSERT
-- and SELECT on audit.audit_log and EXECUTE on audit.prune(), so it can add and read records and prune
-- old ones, but not change, delete, truncate or drop them, nor the trigger. PGlite has one (superuser)
-- role: there the trigger is the only guard.
CREATE SCHEMA audit;
ALTER TABLE audit_log SET SCHEMA audit;
ALTER FUNCTION audit_log_append_only() SET SCHEMA audit;
ALTER FUNCTION audit.audit_log_append_only() RENAME TO append_only;

-- How long records are kept at the least (AUDIT_RETENTION_DAYS): audit.prune() never deletes younger ones,
-- whatever cutoff it is given. Set by the matcher at start-up through audit.set_retention(); once sealed the
-- table is glimpse_audit's, and the application can only make the floor longer (or 0: forever), never
-- shorter. Lowering it is the superuser's act: UPDATE audit.retention SET days = N (docs/privacy.md).
CREATE TABLE audit.retention (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- NULL until the matcher first sets it; 0 = kept forever
  days integer CHECK (days >= 0)
);
INSERT INTO audit.retention (id, days) VALUES (true, NULL);

CREATE FUNCTION audit.set_retention(new_days integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cur integer;
BEGIN
  IF new_days IS NULL OR new_days < 0 THEN
    RAISE EXCEPTION 'audit retention must be 0 (forever) or a number of days, not %', new_days;
  END IF;
  SELECT days INTO cur FROM audit.retention FOR UPDATE;
  -- only ever longer: unset -> any; N -> M >= N; N -> 0 (forever); 0 stays 0
  IF cur IS NULL OR (cur <> 0 AND (new_days = 0 OR new_days >= cur)) THEN
    UPDATE audit.retention SET days = new_days;
    RETURN new_days;
  END IF;
  RETURN cur;
END;
$$;

-- The retention job's only way to delete: records older than `cutoff`, and never those younger than the
-- retention floor (audit.retention, at least one day). SECURITY DEFINER: it deletes as the table's owner,
-- which the application role is not once sealed.
CREATE FUNCTION audit.prune(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  floor_days integer;
  n integer;
BEGIN
  SELECT days INTO floor_days FROM audit.retention;
  IF floor_days IS NULL THEN
    RAISE EXCEPTION 'audit retention is not set: the matcher sets it at start-up (audit.set_retention)';
  END IF;
  IF floor_days = 0 THEN
    RETURN 0;
  END IF;
  PERFORM set_config('glimpse.audit_prune', 'on', true);
  DELETE FROM audit.audit_log WHERE at < least(cutoff, now() - make_interval(days => greatest(floor_days, 1)));
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('glimpse.audit_prune', 'off', true);
  RETURN n;
END;
$$;

DO $$
BEGIN
  -- prepared by the superuser (infra/postgres/init/20-audit-owner.sql, run by compose, Helm and
  -- infra/cluster/hosts.sh): seal the trail now. Otherwise the matcher warns loudly at start-up and in
  -- /healthz (audit: unsealed).
  IF to_regprocedure('glimpse_admin.seal_audit_log()') IS NOT NULL THEN
    PERFORM glimpse_admin.seal_audit_log();
  ELSIF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE WARNING 'audit trail NOT sealed: glimpse_admin.seal_audit_log() is missing; run infra/postgres/init/20-audit-owner.sql as the superuser (docs/privacy.md)';
  END IF;
END;
$$;

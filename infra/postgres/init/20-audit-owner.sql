-- Runs once, as the superuser, when the Postgres volume is first initialized (after 10-glimpse-role.sh).
-- Makes the audit trail append-only for the application (docs/privacy.md "Audit trail"): the role
-- glimpse_audit (no login) is to own the `audit` schema, its table and functions, while the application
-- role `glimpse` keeps INSERT and SELECT on audit.audit_log and EXECUTE on audit.prune() (the retention
-- job, which never deletes records younger than the floor in audit.retention, which the application can
-- only lengthen: audit.set_retention()). The matcher's migration 0008 calls seal_audit_log() right after
-- creating the schema. For a database initialized before this file existed: run it as the superuser
-- (psql -d glimpse -f 20-audit-owner.sql), then `SELECT glimpse_admin.seal_audit_log();` once the matcher
-- has started.
CREATE ROLE glimpse_audit NOLOGIN;
CREATE SCHEMA glimpse_admin;
REVOKE ALL ON SCHEMA glimpse_admin FROM PUBLIC;
GRANT USAGE ON SCHEMA glimpse_admin TO glimpse;

CREATE FUNCTION glimpse_admin.seal_audit_log() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF to_regclass('audit.audit_log') IS NULL THEN
    RAISE EXCEPTION 'audit.audit_log does not exist yet: start the matcher once (migration 0008_audit_owner)';
  END IF;
  ALTER SCHEMA audit OWNER TO glimpse_audit;
  ALTER TABLE audit.audit_log OWNER TO glimpse_audit;
  ALTER FUNCTION audit.append_only() OWNER TO glimpse_audit;
  ALTER FUNCTION audit.prune(timestamptz) OWNER TO glimpse_audit;
  ALTER TABLE audit.retention OWNER TO glimpse_audit;
  ALTER FUNCTION audit.set_retention(integer) OWNER TO glimpse_audit;
  REVOKE ALL ON SCHEMA audit FROM glimpse;
  GRANT USAGE ON SCHEMA audit TO glimpse;
  REVOKE ALL ON audit.audit_log FROM glimpse;
  GRANT SELECT, INSERT ON audit.audit_log TO glimpse;
  REVOKE ALL ON audit.retention FROM glimpse;
  GRANT SELECT ON audit.retention TO glimpse;
  REVOKE ALL ON FUNCTION audit.prune(timestamptz) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION audit.prune(timestamptz) TO glimpse;
  REVOKE ALL ON FUNCTION audit.set_retention(integer) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION audit.set_retention(integer) TO glimpse;
END;
$$;
REVOKE ALL ON FUNCTION glimpse_admin.seal_audit_log() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION glimpse_admin.seal_audit_log() TO glimpse;

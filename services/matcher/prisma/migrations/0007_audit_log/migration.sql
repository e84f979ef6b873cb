-- Who read or wrote face data, when, from where (docs/privacy.md "Audit trail"). Append-only for the
-- application: the trigger refuses UPDATE and TRUNCATE, and DELETE except the retention job's pruning
-- (glimpse.audit_prune set in its transaction) of rows older than a day. A role that owns the table can
-- still drop the trigger: for tamper-evidence, the operator gives the table to another role (docs).
CREATE TABLE audit_log (
  id                uuid PRIMARY KEY,
  at                timestamptz(3) NOT NULL,
  actor_kind        text NOT NULL,
  actor_id          text,
  method            text NOT NULL,
  route             text NOT NULL,
  status            integer NOT NULL,
  person_ids        uuid[] NOT NULL DEFAULT '{}',
  persons_truncated boolean NOT NULL DEFAULT false,
  faces             integer NOT NULL DEFAULT 0,
  ip                text,
  stored_at         timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_person_ids_idx ON audit_log USING gin (person_ids);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('glimpse.audit_prune', true) = 'on' AND OLD.at < now() - interval '1 day' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

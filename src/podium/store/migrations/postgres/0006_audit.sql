-- Podium schema, version 6 (PostgreSQL): the audit log, as the SQLite schema's 0006. One row
-- per state-changing request (who, from where, what, when, how it ended, on which node). It is
-- read newest first (highest `seq` first): with no filter through the primary key, by principal
-- or by resource through an index that lists each one's records in `seq` order, by time alone
-- through the index on `at`.

CREATE TABLE audit_log (
    seq         BIGSERIAL PRIMARY KEY,
    at          BIGINT  NOT NULL,
    principal   TEXT COLLATE "C" NOT NULL,
    address     TEXT COLLATE "C" NOT NULL,
    method      TEXT COLLATE "C" NOT NULL,
    path        TEXT COLLATE "C" NOT NULL,
    resource    TEXT COLLATE "C" NOT NULL,
    status      INTEGER NOT NULL,
    node        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_principal ON audit_log (principal, seq);
CREATE INDEX audit_log_by_resource ON audit_log (resource, seq);

-- The audit log is append-only, without exception (unlike history, which the retention purge
-- may trim): UPDATE, DELETE and TRUNCATE are all refused.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Podium schema, version 6 (SQLite): the audit log, one row per state-changing request (who,
-- from where, what, when, how it ended, on which node). It is read newest first (highest `seq`
-- first): with no filter through the primary key, by principal or by resource through an index
-- that lists each one's records in `seq` order, by time alone through the index on `at`.

CREATE TABLE audit_log (
    -- AUTOINCREMENT: a `seq` is never handed out twice, whatever happens to the table.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    principal   TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    node        TEXT    NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_principal ON audit_log (principal, seq);
CREATE INDEX audit_log_by_resource ON audit_log (resource, seq);

-- The audit log is append-only: the database itself refuses to rewrite it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

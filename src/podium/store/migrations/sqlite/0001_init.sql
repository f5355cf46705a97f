-- Podium schema, version 1 (SQLite).
-- Definitions are stored as Conductor JSON; executions keep the columns that queries need next
-- to a JSON body. The queue is a table in the same database (transactional outbox).

CREATE TABLE workflow_def (
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

CREATE TABLE task_def (
    name        TEXT    PRIMARY KEY,
    body        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE def_snapshot (
    digest      TEXT    PRIMARY KEY,
    body        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE workflow (
    workflow_id         TEXT    PRIMARY KEY,
    workflow_name       TEXT    NOT NULL,
    workflow_version    INTEGER NOT NULL,
    status              TEXT    NOT NULL,
    correlation_id      TEXT,
    priority            INTEGER NOT NULL DEFAULT 0,
    create_time         INTEGER NOT NULL,
    update_time         INTEGER NOT NULL,
    end_time            INTEGER NOT NULL DEFAULT 0,
    parent_workflow_id  TEXT,
    idempotency_key     TEXT,
    created_by          TEXT,
    timeout_at          INTEGER NOT NULL DEFAULT 0,
    body                BLOB    NOT NULL
);
CREATE INDEX workflow_by_name ON workflow (workflow_name, status, create_time);
CREATE INDEX workflow_by_correlation ON workflow (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX workflow_by_idempotency ON workflow (workflow_name, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX workflow_timeouts ON workflow (timeout_at) WHERE timeout_at > 0;

-- Removed executions kept readable (remove with archiveWorkflow=true): their final JSON.
CREATE TABLE workflow_archive (
    workflow_id     TEXT    PRIMARY KEY,
    archived_at     INTEGER NOT NULL,
    body            BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE task (
    task_id         TEXT    PRIMARY KEY,
    workflow_id     TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    ref_name        TEXT    NOT NULL,
    ref_base        TEXT    NOT NULL,
    task_type       TEXT    NOT NULL,
    task_def_name   TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0,
    scheduled_time  INTEGER NOT NULL DEFAULT 0,
    start_time      INTEGER NOT NULL DEFAULT 0,
    end_time        INTEGER NOT NULL DEFAULT 0,
    update_time     INTEGER NOT NULL DEFAULT 0,
    check_at        INTEGER NOT NULL DEFAULT 0,
    rate_limited    INTEGER NOT NULL DEFAULT 0,
    domain          TEXT,
    worker_id       TEXT,
    body            BLOB    NOT NULL
);
-- Few indexes on purpose: every index is written on the hot path (poll, update).
CREATE INDEX task_by_ref ON task (workflow_id, ref_base, seq);
CREATE INDEX task_pending ON task (workflow_id, seq) WHERE done = 0;
CREATE INDEX task_checks ON task (check_at) WHERE check_at > 0;
CREATE INDEX task_live_by_type ON task (task_type, status) WHERE done = 0;
CREATE INDEX task_live_by_def ON task (task_def_name, status) WHERE done = 0;
-- Only attempts of rate-limited task definitions are counted by start time.
CREATE INDEX task_rate_window ON task (task_def_name, start_time) WHERE rate_limited = 1;

CREATE TABLE queue (
    task_id         TEXT    PRIMARY KEY,
    queue_name      TEXT    NOT NULL,
    workflow_id     TEXT    NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    visible_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX queue_pop ON queue (queue_name, priority DESC, visible_at);

CREATE TABLE poll_data (
    queue_name      TEXT    NOT NULL,
    domain          TEXT    NOT NULL DEFAULT '',
    worker_id       TEXT,
    last_poll_time  INTEGER NOT NULL,
    PRIMARY KEY (queue_name, domain)
) WITHOUT ROWID;

CREATE TABLE task_log (
    id              INTEGER PRIMARY KEY,
    task_id         TEXT    NOT NULL,
    log             TEXT    NOT NULL,
    created_time    INTEGER NOT NULL
);
CREATE INDEX task_log_by_task ON task_log (task_id, id);

CREATE TABLE history (
    -- Rows are never deleted (triggers below), so rowids only grow: no AUTOINCREMENT needed.
    seq             INTEGER PRIMARY KEY,
    workflow_id     TEXT    NOT NULL,
    task_id         TEXT,
    ref_name        TEXT,
    at              INTEGER NOT NULL,
    event           TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    node            TEXT    NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    reason          TEXT
);
CREATE INDEX history_by_workflow ON history (workflow_id, seq);

-- The audit trail is append-only: the database itself refuses to rewrite it.
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;

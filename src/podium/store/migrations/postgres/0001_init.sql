-- Podium schema, version 1 (PostgreSQL): the SQLite schema's 0001 + 0002 in one file.
-- Bodies are orjson-encoded JSON in BYTEA (no JSONB parse on the hot path); times are epoch
-- milliseconds in BIGINT. Text columns use the "C" collation so that comparisons and ORDER BY
-- go by code point, exactly like SQLite's BINARY collation and the memory store.

CREATE TABLE workflow_def (
    name        TEXT COLLATE "C" NOT NULL,
    version     INTEGER NOT NULL,
    body        BYTEA   NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE task_def (
    name        TEXT COLLATE "C" PRIMARY KEY,
    body        BYTEA   NOT NULL
);

CREATE TABLE def_snapshot (
    digest      TEXT COLLATE "C" PRIMARY KEY,
    body        BYTEA   NOT NULL
);

CREATE TABLE workflow (
    workflow_id         TEXT COLLATE "C" PRIMARY KEY,
    workflow_name       TEXT COLLATE "C" NOT NULL,
    workflow_version    INTEGER NOT NULL,
    status              TEXT COLLATE "C" NOT NULL,
    correlation_id      TEXT COLLATE "C",
    priority            INTEGER NOT NULL DEFAULT 0,
    create_time         BIGINT  NOT NULL,
    update_time         BIGINT  NOT NULL,
    end_time            BIGINT  NOT NULL DEFAULT 0,
    parent_workflow_id  TEXT COLLATE "C",
    idempotency_key     TEXT COLLATE "C",
    created_by          TEXT COLLATE "C",
    timeout_at          BIGINT  NOT NULL DEFAULT 0,
    body                BYTEA   NOT NULL
);
CREATE INDEX workflow_by_name ON workflow (workflow_name, status, create_time);
CREATE INDEX workflow_by_correlation ON workflow (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX workflow_by_idempotency ON workflow (workflow_name, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX workflow_timeouts ON workflow (timeout_at) WHERE timeout_at > 0;

-- Removed executions kept readable (remove with archiveWorkflow=true): their final JSON.
CREATE TABLE workflow_archive (
    workflow_id     TEXT COLLATE "C" PRIMARY KEY,
    archived_at     BIGINT  NOT NULL,
    body            BYTEA   NOT NULL
);

CREATE TABLE task (
    task_id         TEXT COLLATE "C" PRIMARY KEY,
    workflow_id     TEXT COLLATE "C" NOT NULL,
    seq             INTEGER NOT NULL,
    ref_name        TEXT COLLATE "C" NOT NULL,
    ref_base        TEXT COLLATE "C" NOT NULL,
    task_type       TEXT COLLATE "C" NOT NULL,
    task_def_name   TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    done            BOOLEAN NOT NULL DEFAULT FALSE,
    scheduled_time  BIGINT  NOT NULL DEFAULT 0,
    start_time      BIGINT  NOT NULL DEFAULT 0,
    end_time        BIGINT  NOT NULL DEFAULT 0,
    update_time     BIGINT  NOT NULL DEFAULT 0,
    check_at        BIGINT  NOT NULL DEFAULT 0,
    rate_limited    BOOLEAN NOT NULL DEFAULT FALSE,
    domain          TEXT COLLATE "C",
    worker_id       TEXT COLLATE "C",
    body            BYTEA   NOT NULL
);
-- Few indexes on purpose: every index is written on the hot path (poll, update).
CREATE INDEX task_by_ref ON task (workflow_id, ref_base, seq);
CREATE INDEX task_pending ON task (workflow_id, seq) WHERE NOT done;
CREATE INDEX task_checks ON task (check_at) WHERE check_at > 0;
CREATE INDEX task_live_by_type ON task (task_type, status) WHERE NOT done;
CREATE INDEX task_live_by_def ON task (task_def_name, status) WHERE NOT done;
-- Only attempts of rate-limited task definitions are counted by start time.
CREATE INDEX task_rate_window ON task (task_def_name, start_time) WHERE rate_limited;

CREATE TABLE queue (
    task_id         TEXT COLLATE "C" PRIMARY KEY,
    queue_name      TEXT COLLATE "C" NOT NULL,
    workflow_id     TEXT COLLATE "C" NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    visible_at      BIGINT  NOT NULL
);
CREATE INDEX queue_pop ON queue (queue_name, priority DESC, visible_at);

CREATE TABLE poll_data (
    queue_name      TEXT COLLATE "C" NOT NULL,
    domain          TEXT COLLATE "C" NOT NULL DEFAULT '',
    worker_id       TEXT,
    last_poll_time  BIGINT  NOT NULL,
    PRIMARY KEY (queue_name, domain)
);

CREATE TABLE task_log (
    id              BIGSERIAL PRIMARY KEY,
    task_id         TEXT COLLATE "C" NOT NULL,
    log             TEXT    NOT NULL,
    created_time    BIGINT  NOT NULL
);
CREATE INDEX task_log_by_task ON task_log (task_id, id);

CREATE TABLE history (
    seq             BIGSERIAL PRIMARY KEY,
    workflow_id     TEXT COLLATE "C" NOT NULL,
    task_id         TEXT,
    ref_name        TEXT,
    at              BIGINT  NOT NULL,
    event           TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    node            TEXT    NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    reason          TEXT
);
CREATE INDEX history_by_workflow ON history (workflow_id, seq);

-- The audit trail is append-only: the database itself refuses to rewrite it.
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER history_no_update BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- Event handlers (Conductor `EventHandler`, `/api/event`): `event` and `active` are copied out
-- of the body so that the handlers listening on one event are found through the index.
CREATE TABLE event_handler (
    name        TEXT COLLATE "C" PRIMARY KEY,
    event       TEXT COLLATE "C" NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT FALSE,
    body        BYTEA   NOT NULL
);
CREATE INDEX event_handler_by_event ON event_handler (event, active);

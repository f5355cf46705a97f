-- Podium schema, version 3 (PostgreSQL): retention (`--retention-days`, docs/howto/retention.md).
-- The purge finds ended executions by end time, and archived ones by archive time, through
-- these indexes. An execution enters `workflow_ended` once, when it ends. (On a large existing
-- table, building them holds writes back for a while: run `podium db migrate` off-peak.)
CREATE INDEX workflow_ended ON workflow (end_time)
    WHERE status IN ('COMPLETED','FAILED','TIMED_OUT','TERMINATED');
CREATE INDEX workflow_archive_by_time ON workflow_archive (archived_at);

-- History stays append-only, with one deliberate exception: the retention purge deletes the
-- history of the executions it deletes. It sets the transaction-local `podium.retention` to
-- `on` around that one DELETE; even then a row goes only when its execution is gone from both
-- `workflow` and `workflow_archive`. UPDATE and TRUNCATE are always refused.
CREATE OR REPLACE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('podium.retention', true) = 'on' THEN
        IF NOT EXISTS (SELECT 1 FROM workflow WHERE workflow_id = OLD.workflow_id)
           AND NOT EXISTS (SELECT 1 FROM workflow_archive WHERE workflow_id = OLD.workflow_id)
        THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'history is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;

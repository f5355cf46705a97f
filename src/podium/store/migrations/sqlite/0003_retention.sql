-- Podium schema, version 3 (SQLite): retention (`--retention-days`, docs/howto/retention.md).
-- The purge finds ended executions by end time, and archived ones by archive time, through
-- these indexes. An execution enters `workflow_ended` once, when it ends.
CREATE INDEX workflow_ended ON workflow (end_time)
    WHERE status IN ('COMPLETED','FAILED','TIMED_OUT','TERMINATED');
CREATE INDEX workflow_archive_by_time ON workflow_archive (archived_at);

-- History stays append-only, with one deliberate exception: the retention purge deletes the
-- history of the executions it deletes. It names them here, inside its own transaction (and
-- empties the table again before committing); the trigger lets a history row go only when its
-- execution is named here and is gone from both `workflow` and `workflow_archive`.
CREATE TABLE history_purge (
    workflow_id     TEXT    PRIMARY KEY
) WITHOUT ROWID;

DROP TRIGGER history_no_delete;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
WHEN NOT EXISTS (SELECT 1 FROM history_purge p WHERE p.workflow_id = OLD.workflow_id)
    OR EXISTS (SELECT 1 FROM workflow w WHERE w.workflow_id = OLD.workflow_id)
    OR EXISTS (SELECT 1 FROM workflow_archive a WHERE a.workflow_id = OLD.workflow_id)
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;

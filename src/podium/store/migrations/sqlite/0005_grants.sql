-- Podium schema, version 5 (SQLite): access grants. A subject (USER, GROUP or ROLE, and its id)
-- may do one kind of access on one target (WORKFLOW_DEF, TASK_DEF, TAG, ..., and its id); the
-- table is a set of such rows. The primary key serves lookups by subject, the index lookups by
-- target; both list in code-point order (BINARY collation).

CREATE TABLE access_grant (
    subject_type TEXT   NOT NULL,
    subject_id   TEXT   NOT NULL,
    target_type  TEXT   NOT NULL,
    target_id    TEXT   NOT NULL,
    access       TEXT   NOT NULL,
    PRIMARY KEY (subject_type, subject_id, target_type, target_id, access)
) WITHOUT ROWID;
CREATE INDEX access_grant_by_target
    ON access_grant (target_type, target_id, subject_type, subject_id, access);

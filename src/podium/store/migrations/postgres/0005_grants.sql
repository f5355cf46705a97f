-- Podium schema, version 5 (PostgreSQL): access grants, as the SQLite schema's 0005. A subject
-- (USER, GROUP or ROLE, and its id) may do one kind of access on one target (WORKFLOW_DEF,
-- TASK_DEF, TAG, ..., and its id); the table is a set of such rows. The primary key serves
-- lookups by subject, the index lookups by target; COLLATE "C" lists both in code-point order.

CREATE TABLE access_grant (
    subject_type TEXT COLLATE "C" NOT NULL,
    subject_id   TEXT COLLATE "C" NOT NULL,
    target_type  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    access       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subject_type, subject_id, target_type, target_id, access)
);
CREATE INDEX access_grant_by_target
    ON access_grant (target_type, target_id, subject_type, subject_id, access);

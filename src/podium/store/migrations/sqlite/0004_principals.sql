-- Podium schema, version 4 (SQLite): authentication (applications, their access keys, and the
-- server's own secrets such as the token signing key). Bodies are the JSON `podium.auth` keeps;
-- an access key holds only a hash of its secret. `app_id` and `created_at` are copied out of the
-- key's body so that one application's keys are listed, in creation order, through the index.

CREATE TABLE application (
    id          TEXT    PRIMARY KEY,
    body        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE access_key (
    id          TEXT    PRIMARY KEY,
    app_id      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL DEFAULT 0,
    body        BLOB    NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_key_by_app ON access_key (app_id, created_at);

-- Written once, by whichever node asks first; every node then reads the same value.
CREATE TABLE server_secret (
    name        TEXT    PRIMARY KEY,
    value       BLOB    NOT NULL
) WITHOUT ROWID;

-- Podium schema, version 8 (SQLite): the UI's sessions, so that signing out (or an admin)
-- ends one for real. A row is keyed by an opaque id derived from the cookie's `sid` (never
-- the cookie); times are epoch seconds; `ended_at` is NULL while the session is open. Rows
-- past their expiry are pruned when new sessions are issued (the index on `expires_at`).

CREATE TABLE ui_session (
    id              TEXT    PRIMARY KEY,
    principal_id    TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    ended_at        INTEGER
) WITHOUT ROWID;
CREATE INDEX ui_session_by_principal ON ui_session (principal_id, issued_at);
CREATE INDEX ui_session_by_expiry ON ui_session (expires_at);

-- Podium schema, version 2 (SQLite): event handlers (Conductor `EventHandler`, `/api/event`).
-- The body is the handler's Conductor JSON; `event` and `active` are copied out of it so that
-- the handlers listening on one event are found through the index.

CREATE TABLE event_handler (
    name        TEXT    PRIMARY KEY,
    event       TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 0,
    body        BLOB    NOT NULL
) WITHOUT ROWID;
CREATE INDEX event_handler_by_event ON event_handler (event, active);

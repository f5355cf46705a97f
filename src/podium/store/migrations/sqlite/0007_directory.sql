-- Podium schema, version 7 (SQLite): people's user records, groups, who belongs to which group,
-- and applications' tags. Bodies are the JSON `podium.services` keeps (a user's name and roles,
-- a group's description, roles and default access). Membership is a set of (group, user) rows:
-- the primary key lists a group's members, the index a user's groups, both in code-point order.

CREATE TABLE user_account (
    id          TEXT    PRIMARY KEY,
    body        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE user_group (
    id          TEXT    PRIMARY KEY,
    body        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE group_member (
    group_id    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_member_by_user ON group_member (user_id, group_id);

CREATE TABLE application_tag (
    app_id      TEXT    NOT NULL,
    tag_key     TEXT    NOT NULL,
    tag_value   TEXT    NOT NULL,
    PRIMARY KEY (app_id, tag_key, tag_value)
) WITHOUT ROWID;

-- Podium schema, version 7 (PostgreSQL): people's user records, groups, who belongs to which
-- group, and applications' tags, as the SQLite schema's 0007. Bodies are the JSON
-- `podium.services` keeps. Membership is a set of (group, user) rows: the primary key lists a
-- group's members, the index a user's groups; COLLATE "C" lists both in code-point order.

CREATE TABLE user_account (
    id          TEXT COLLATE "C" PRIMARY KEY,
    body        BYTEA   NOT NULL
);

CREATE TABLE user_group (
    id          TEXT COLLATE "C" PRIMARY KEY,
    body        BYTEA   NOT NULL
);

CREATE TABLE group_member (
    group_id    TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_member_by_user ON group_member (user_id, group_id);

CREATE TABLE application_tag (
    app_id      TEXT COLLATE "C" NOT NULL,
    tag_key     TEXT COLLATE "C" NOT NULL,
    tag_value   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (app_id, tag_key, tag_value)
);

-- +goose Up
-- Website forms, inbound webhook sources and scoped tokens
-- (docs/integrations.md). Migrations only move forward, so there is no Down.
CREATE TABLE forms (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    mapping     TEXT NOT NULL,
    origins     TEXT NOT NULL DEFAULT '',
    redirect    TEXT NOT NULL DEFAULT '',
    thanks      TEXT NOT NULL DEFAULT '',
    campaign    TEXT NOT NULL DEFAULT '',
    utm         TEXT NOT NULL DEFAULT '{}',
    honeypot    TEXT NOT NULL DEFAULT '',
    per_minute  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Every post of a form, taken or refused. submission_id is the post's own
-- id ('' when it sent none): a second post with the same id is answered
-- from its first, so the pair is unique when the id is given.
CREATE TABLE form_submissions (
    id            INTEGER PRIMARY KEY,
    form_id       INTEGER NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    submission_id TEXT NOT NULL,
    at            TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    lead_id       INTEGER,
    addr          TEXT NOT NULL DEFAULT '',
    origin        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX form_submissions_once ON form_submissions (form_id, submission_id) WHERE submission_id <> '';
CREATE INDEX form_submissions_by_form ON form_submissions (form_id, id);

CREATE TABLE hook_sources (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    secrets      TEXT NOT NULL,
    mapping      TEXT NOT NULL DEFAULT '',
    deal_mapping TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The message ids a source has delivered, kept past the signatures'
-- window so that a replay within it is refused.
CREATE TABLE hook_deliveries (
    source_id   INTEGER NOT NULL REFERENCES hook_sources (id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (source_id, message_id)
);
CREATE INDEX hook_deliveries_expiry ON hook_deliveries (expires_at);

-- A token's scopes, space-separated ('' for a token made before scopes:
-- it keeps every scope its role allows), and when it stops working.
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at TEXT;

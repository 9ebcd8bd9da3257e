-- +goose Up
-- The content library (docs/content.md): marketing's email templates, call
-- scripts and links, each with its versions (every change of subject, body
-- or URL is a new version, and uses, clicks and ratings record the version
-- they saw). A use is a touch that used an item, written with the touch's
-- ledger event; a link is a lead's tracked link to an item (its token is
-- random and names the lead, /c/CODE/TOKEN); a click is a lead's visit
-- through it, written with a marketing touch in the lead's ledger.
-- Migrations only move forward, so there is no Down.
CREATE TABLE content_items (
    code       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'call_script', 'link')),
    title      TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL DEFAULT '',
    owner      TEXT NOT NULL DEFAULT '',
    campaign   TEXT NOT NULL DEFAULT '',
    segment    TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('draft', 'live', 'retired')),
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE content_versions (
    code       TEXT NOT NULL REFERENCES content_items (code),
    version    INTEGER NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE content_uses (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL REFERENCES content_items (code),
    version  INTEGER NOT NULL,
    lead_id  INTEGER NOT NULL REFERENCES leads (id),
    user_id  INTEGER REFERENCES users (id),
    actor    TEXT NOT NULL,
    channel  TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    used_at  TEXT NOT NULL
);
CREATE INDEX content_uses_used_at ON content_uses (used_at);
CREATE INDEX content_uses_lead ON content_uses (lead_id, used_at);
CREATE INDEX content_uses_code ON content_uses (code, used_at);

CREATE TABLE content_links (
    token      TEXT PRIMARY KEY,
    code       TEXT NOT NULL REFERENCES content_items (code),
    lead_id    INTEGER NOT NULL REFERENCES leads (id),
    created_at TEXT NOT NULL,
    UNIQUE (code, lead_id)
);

CREATE TABLE content_clicks (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL REFERENCES content_items (code),
    version    INTEGER NOT NULL,
    lead_id    INTEGER NOT NULL REFERENCES leads (id),
    clicked_at TEXT NOT NULL
);
CREATE INDEX content_clicks_clicked_at ON content_clicks (clicked_at);
CREATE INDEX content_clicks_lead ON content_clicks (lead_id, clicked_at);

CREATE TABLE content_ratings (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL REFERENCES content_items (code),
    version    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    useful     INTEGER NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX content_ratings_code ON content_ratings (code, created_at);

-- +goose Up
-- Times are TEXT in one fixed-width UTC form (2006-01-02T15:04:05.000000Z),
-- so that they sort and compare as text.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE agreement_versions (
    version       INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    in_force_from TEXT
);
CREATE INDEX agreement_versions_in_force ON agreement_versions (in_force_from) WHERE in_force_from IS NOT NULL;

CREATE TABLE agreement_signatures (
    version   INTEGER NOT NULL REFERENCES agreement_versions (version),
    role      TEXT NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    signed_at TEXT NOT NULL,
    PRIMARY KEY (version, role)
);

CREATE TABLE leads (
    id               INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,
    external_id      TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    company          TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    country          TEXT NOT NULL DEFAULT '',
    segment          TEXT NOT NULL DEFAULT '',
    territory        TEXT NOT NULL DEFAULT '',
    origin           TEXT NOT NULL DEFAULT '',
    campaign         TEXT NOT NULL DEFAULT '',
    landing_page     TEXT NOT NULL DEFAULT '',
    utm_source       TEXT NOT NULL DEFAULT '',
    utm_medium       TEXT NOT NULL DEFAULT '',
    utm_campaign     TEXT NOT NULL DEFAULT '',
    utm_term         TEXT NOT NULL DEFAULT '',
    utm_content      TEXT NOT NULL DEFAULT '',
    owner_id         INTEGER NOT NULL DEFAULT 0,
    score            INTEGER NOT NULL DEFAULT 0,
    stage            TEXT NOT NULL,
    attributes       TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    stage_changed_at TEXT NOT NULL,
    version          INTEGER NOT NULL
);
CREATE UNIQUE INDEX leads_source_external_id ON leads (source, external_id) WHERE external_id <> '';
CREATE INDEX leads_stage ON leads (stage);
CREATE INDEX leads_origin ON leads (origin);

-- The ledger. Rows are only ever inserted.
CREATE TABLE events (
    id                INTEGER PRIMARY KEY,
    lead_id           INTEGER NOT NULL REFERENCES leads (id),
    type              TEXT NOT NULL,
    occurred_at       TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    actor             TEXT NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    agreement_version INTEGER NOT NULL DEFAULT 0,
    data              TEXT NOT NULL
);
CREATE INDEX events_lead_id ON events (lead_id, id);

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: events are never updated or deleted');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: events are never updated or deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE events;
DROP TABLE leads;
DROP TABLE agreement_signatures;
DROP TABLE agreement_versions;
DROP TABLE tokens;
DROP TABLE users;

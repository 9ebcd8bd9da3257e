-- +goose Up
CREATE TABLE users (
    id         BIGSERIAL PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE agreement_versions (
    version       INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL,
    in_force_from TIMESTAMPTZ
);
CREATE INDEX agreement_versions_in_force ON agreement_versions (in_force_from) WHERE in_force_from IS NOT NULL;

CREATE TABLE agreement_signatures (
    version   INTEGER NOT NULL REFERENCES agreement_versions (version),
    role      TEXT NOT NULL,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    signed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version, role)
);

-- Lead ids are reserved in blocks from this sequence, so a batch can write
-- its leads and their events without a round trip per lead.
CREATE SEQUENCE leads_id_seq;

CREATE TABLE leads (
    id               BIGINT PRIMARY KEY,
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
    owner_id         BIGINT NOT NULL DEFAULT 0,
    score            INTEGER NOT NULL DEFAULT 0,
    stage            TEXT NOT NULL,
    attributes       JSONB NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    stage_changed_at TIMESTAMPTZ NOT NULL,
    version          INTEGER NOT NULL
);
CREATE UNIQUE INDEX leads_source_external_id ON leads (source, external_id) WHERE external_id <> '';
CREATE INDEX leads_stage ON leads (stage);
CREATE INDEX leads_origin ON leads (origin);

-- The ledger. Rows are only ever inserted.
CREATE TABLE events (
    id                BIGSERIAL PRIMARY KEY,
    lead_id           BIGINT NOT NULL REFERENCES leads (id),
    type              TEXT NOT NULL,
    occurred_at       TIMESTAMPTZ NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    actor             TEXT NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    agreement_version INTEGER NOT NULL DEFAULT 0,
    data              TEXT NOT NULL
);
CREATE INDEX events_lead_id ON events (lead_id, id);

-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: events are never updated or deleted';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- +goose Down
DROP TABLE events;
DROP FUNCTION events_append_only;
DROP TABLE leads;
DROP SEQUENCE leads_id_seq;
DROP TABLE agreement_signatures;
DROP TABLE agreement_versions;
DROP TABLE tokens;
DROP TABLE users;

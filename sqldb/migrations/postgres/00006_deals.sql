-- +goose Up
-- Deals (docs/deals.md): an opportunity and its outcome, linked to its lead.
-- Amounts are whole minor units (cents) of the installation's one currency.
-- Migrations only move forward, so there is no Down.
--
-- lead_id's reference is checked at commit: a batch of leads opens the deal
-- of a lead that enters opportunity before the lead's row is written.
CREATE TABLE deals (
    id           BIGSERIAL PRIMARY KEY,
    lead_id      BIGINT NOT NULL REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED,
    source       TEXT NOT NULL DEFAULT '',
    external_id  TEXT NOT NULL DEFAULT '',
    owner_id     BIGINT REFERENCES users (id),
    stage        TEXT NOT NULL CHECK (stage IN ('open', 'won', 'lost')),
    amount_cents BIGINT NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
    created_at   TIMESTAMPTZ NOT NULL,
    engaged_at   TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    lost_reason  TEXT NOT NULL DEFAULT '',
    account      TEXT NOT NULL DEFAULT '',
    product      TEXT NOT NULL DEFAULT '',
    attributes   JSONB NOT NULL DEFAULT '{}',
    updated_at   TIMESTAMPTZ NOT NULL,
    -- A closed deal has its date; an open one has none.
    CHECK ((stage = 'open') = (closed_at IS NULL))
);
-- A lead has at most one open deal: entering opportunity again opens none.
CREATE UNIQUE INDEX deals_open_lead ON deals (lead_id) WHERE stage = 'open';
-- An imported deal is known by its id in its source, for idempotent imports.
CREATE UNIQUE INDEX deals_source_external_id ON deals (source, external_id) WHERE external_id <> '';
CREATE INDEX deals_lead ON deals (lead_id, id);
-- Reports read deals by close date (won per month) and by opening date.
CREATE INDEX deals_closed_at ON deals (closed_at, stage) WHERE closed_at IS NOT NULL;
CREATE INDEX deals_created_at ON deals (created_at);

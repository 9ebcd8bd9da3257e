-- +goose Up
-- The SLA engine (docs/sla.md): hand-offs with their clocks, the cadence
-- steps reps owe (tasks), routing balances, reviews, and the notification
-- outbox. Migrations only move forward, so there is no Down.

-- A rep's share of hand-offs under weighted routing.
ALTER TABLE users ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;

-- One row per hand-off: the lead entered the hand-off stage and sales owes
-- it a first touch, a decision and the cadence. ended_at is NULL while the
-- lead is in a stage sales works. owner_id is NULL while no rep could take it.
CREATE TABLE handoffs (
    id                BIGSERIAL PRIMARY KEY,
    lead_id           BIGINT NOT NULL REFERENCES leads (id),
    owner_id          BIGINT REFERENCES users (id),
    hot               BOOLEAN NOT NULL DEFAULT false,
    note              TEXT NOT NULL DEFAULT '',
    agreement_version INTEGER NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    routed_at         TIMESTAMPTZ,
    first_touch_due   TIMESTAMPTZ NOT NULL,
    first_touch_at    TIMESTAMPTZ,
    accept_due        TIMESTAMPTZ NOT NULL,
    decided_at        TIMESTAMPTZ,
    decision          TEXT NOT NULL DEFAULT '',
    reject_reason     TEXT NOT NULL DEFAULT '',
    cadence           TEXT NOT NULL,
    cadence_from      TIMESTAMPTZ NOT NULL,
    step              INTEGER NOT NULL DEFAULT 0,
    touches           INTEGER NOT NULL DEFAULT 0,
    ended_at          TIMESTAMPTZ,
    end_reason        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX handoffs_open_lead ON handoffs (lead_id) WHERE ended_at IS NULL;
CREATE INDEX handoffs_open_owner ON handoffs (owner_id) WHERE ended_at IS NULL;
CREATE INDEX handoffs_started_at ON handoffs (started_at);

-- The cadence steps reps owe, one open step per hand-off at a time.
CREATE TABLE tasks (
    id         BIGSERIAL PRIMARY KEY,
    lead_id    BIGINT NOT NULL REFERENCES leads (id),
    handoff_id BIGINT NOT NULL REFERENCES handoffs (id),
    owner_id   BIGINT REFERENCES users (id),
    cadence    TEXT NOT NULL,
    step       INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    template   TEXT NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    due_at     TIMESTAMPTZ NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'done', 'skipped', 'missed')),
    done_at    TIMESTAMPTZ,
    breached   BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX tasks_open_owner ON tasks (owner_id, due_at) WHERE state = 'open';
CREATE INDEX tasks_handoff ON tasks (handoff_id, id);

-- Smooth weighted round robin: each rep's running credit in a routing pool
-- ('' is every rep; otherwise a team).
CREATE TABLE routing_credits (
    pool    TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    credit  BIGINT NOT NULL,
    PRIMARY KEY (pool, user_id)
);

CREATE TABLE reviews (
    id         BIGSERIAL PRIMARY KEY,
    lead_id    BIGINT NOT NULL REFERENCES leads (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    tags       TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_lead ON reviews (lead_id);
CREATE INDEX reviews_created_at ON reviews (created_at);

-- The outbox: every notification is written in the transaction of the
-- event that causes it. In-app (inbox) rows are delivered as written; email
-- and chat rows wait for a sender: claimed by moving next_at past a lease,
-- marked sent after the send, put off with backoff when it fails.
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id),
    lead_id    BIGINT,
    channel    TEXT NOT NULL CHECK (channel IN ('inbox', 'email', 'chat')),
    address    TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TIMESTAMPTZ NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_pending ON notifications (next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_user ON notifications (user_id, channel, id);

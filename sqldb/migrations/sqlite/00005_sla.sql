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
    id                INTEGER PRIMARY KEY,
    lead_id           INTEGER NOT NULL REFERENCES leads (id),
    owner_id          INTEGER REFERENCES users (id),
    hot               INTEGER NOT NULL DEFAULT 0,
    note              TEXT NOT NULL DEFAULT '',
    agreement_version INTEGER NOT NULL,
    started_at        TEXT NOT NULL,
    routed_at         TEXT,
    first_touch_due   TEXT NOT NULL,
    first_touch_at    TEXT,
    accept_due        TEXT NOT NULL,
    decided_at        TEXT,
    decision          TEXT NOT NULL DEFAULT '',
    reject_reason     TEXT NOT NULL DEFAULT '',
    cadence           TEXT NOT NULL,
    cadence_from      TEXT NOT NULL,
    step              INTEGER NOT NULL DEFAULT 0,
    touches           INTEGER NOT NULL DEFAULT 0,
    ended_at          TEXT,
    end_reason        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX handoffs_open_lead ON handoffs (lead_id) WHERE ended_at IS NULL;
CREATE INDEX handoffs_open_owner ON handoffs (owner_id) WHERE ended_at IS NULL;
CREATE INDEX handoffs_started_at ON handoffs (started_at);

-- The cadence steps reps owe, one open step per hand-off at a time.
CREATE TABLE tasks (
    id         INTEGER PRIMARY KEY,
    lead_id    INTEGER NOT NULL REFERENCES leads (id),
    handoff_id INTEGER NOT NULL REFERENCES handoffs (id),
    owner_id   INTEGER REFERENCES users (id),
    cadence    TEXT NOT NULL,
    step       INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    template   TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'done', 'skipped', 'missed')),
    done_at    TEXT,
    breached   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_open_owner ON tasks (owner_id, due_at) WHERE state = 'open';
CREATE INDEX tasks_handoff ON tasks (handoff_id, id);

-- Smooth weighted round robin: each rep's running credit in a routing pool
-- ('' is every rep; otherwise a team).
CREATE TABLE routing_credits (
    pool    TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    credit  INTEGER NOT NULL,
    PRIMARY KEY (pool, user_id)
);

CREATE TABLE reviews (
    id         INTEGER PRIMARY KEY,
    lead_id    INTEGER NOT NULL REFERENCES leads (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    tags       TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_lead ON reviews (lead_id);
CREATE INDEX reviews_created_at ON reviews (created_at);

-- The outbox: every notification is written in the transaction of the
-- event that causes it. In-app (inbox) rows are delivered as written; email
-- and chat rows wait for a sender: claimed by moving next_at past a lease,
-- marked sent after the send, put off with backoff when it fails.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    lead_id    INTEGER,
    channel    TEXT NOT NULL CHECK (channel IN ('inbox', 'email', 'chat')),
    address    TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    read_at    TEXT
);
CREATE INDEX notifications_pending ON notifications (next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_user ON notifications (user_id, channel, id);

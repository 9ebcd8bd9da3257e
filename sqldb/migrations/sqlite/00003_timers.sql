-- +goose Up
-- Durable clocks: every deadline (an SLA clock, a cadence step, an outbox
-- retry) is a row with a due time, written in the same transaction as the
-- event that starts it and fired by a worker (see docs/clocks.md).
-- Migrations only move forward, so there is no Down.
-- Times are TEXT in sqldb's fixed-width layout, so they compare as text.
-- lead_id is NULL for a timer that belongs to no lead. claimed_by names the
-- worker that fired the timer or last failed to.
CREATE TABLE timers (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    lead_id     INTEGER,
    due_at      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'stopped')),
    payload     TEXT NOT NULL DEFAULT '{}',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    claimed_by  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    fired_at    TEXT,
    stopped_at  TEXT
);
-- Only pending timers are ever looked for by due time; fired and stopped
-- ones stay for history without growing this index.
CREATE INDEX timers_pending_due ON timers (due_at, id) WHERE state = 'pending';
CREATE INDEX timers_lead_id ON timers (lead_id, kind) WHERE lead_id IS NOT NULL;

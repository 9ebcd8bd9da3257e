-- +goose Up
-- The outbox's events (docs/events.md): every ledger event and every
-- notification as a typed, versioned record with JSON data, written in the
-- transaction of the change. A notification row names the event it
-- delivers; its channel is any registered channel's name, no longer one of
-- three.
-- The audit log (docs/operations.md): every change to users and API tokens,
-- by whom, with the fields it changed.
-- Migrations only move forward, so there is no Down.
CREATE TABLE outbox_events (
    id          BIGSERIAL PRIMARY KEY,
    type        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    lead_id     BIGINT REFERENCES leads (id),
    ledger_id   BIGINT REFERENCES events (id),
    data        TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_events_lead ON outbox_events (lead_id, id);

ALTER TABLE notifications ADD COLUMN event_id BIGINT REFERENCES outbox_events (id);
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel <> '');

CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, id);

-- +goose Up
-- The outbox's events (docs/events.md): every ledger event and every
-- notification as a typed, versioned record with JSON data, written in the
-- transaction of the change. A notification row names the event it
-- delivers; its channel is any registered channel's name, no longer one of
-- three (SQLite cannot drop a CHECK, so the table is rebuilt).
-- The audit log (docs/operations.md): every change to users and API tokens,
-- by whom, with the fields it changed.
-- Migrations only move forward, so there is no Down.
CREATE TABLE outbox_events (
    id          INTEGER PRIMARY KEY,
    type        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    lead_id     INTEGER REFERENCES leads (id),
    ledger_id   INTEGER REFERENCES events (id),
    data        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX outbox_events_lead ON outbox_events (lead_id, id);

CREATE TABLE notifications_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    lead_id    INTEGER,
    event_id   INTEGER REFERENCES outbox_events (id),
    channel    TEXT NOT NULL CHECK (channel <> ''),
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
INSERT INTO notifications_new (id, user_id, lead_id, channel, address, subject, body, state, attempts, next_at, claimed_by,
        last_error, created_at, sent_at, read_at)
    SELECT id, user_id, lead_id, channel, address, subject, body, state, attempts, next_at, claimed_by,
        last_error, created_at, sent_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications (next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_user ON notifications (user_id, channel, id);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, id);

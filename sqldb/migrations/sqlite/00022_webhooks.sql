-- +goose Up
-- Outgoing webhooks (docs/integrations.md): subscriptions to event types,
-- each with its own Standard Webhooks secret, and one delivery row per event
-- and subscription, written in the event's transaction and claimed like the
-- notifications (next_at moved past a lease). A delivery keeps its last
-- attempt's status, response code and latency: the subscription's log.
-- Email that knows a final answer: a notification may now be dead (refused
-- for good, or out of attempts), and the installation has an id of its own
-- that Message-IDs carry. SQLite cannot change a CHECK, so notifications is
-- rebuilt. Migrations only move forward, so there is no Down.
CREATE TABLE installation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    installation_id TEXT NOT NULL
);
INSERT INTO installation (id, installation_id) VALUES (1, lower(hex(randomblob(16))));

CREATE TABLE webhook_subscriptions (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    owner_id      INTEGER REFERENCES users (id),
    state         TEXT NOT NULL CHECK (state IN ('active', 'paused')),
    failures      INTEGER NOT NULL DEFAULT 0,
    failing_since TEXT,
    paused_reason TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        INTEGER REFERENCES outbox_events (id),
    type            TEXT NOT NULL,
    msg_id          TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         TEXT NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    response_code   INTEGER NOT NULL DEFAULT 0,
    latency_ms      INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    attempted_at    TEXT,
    delivered_at    TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

CREATE TABLE notifications_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    lead_id    INTEGER,
    event_id   INTEGER REFERENCES outbox_events (id),
    channel    TEXT NOT NULL CHECK (channel <> ''),
    address    TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    read_at    TEXT
);
INSERT INTO notifications_new (id, user_id, lead_id, event_id, channel, address, subject, body, state, attempts, next_at,
        claimed_by, last_error, created_at, sent_at, read_at)
    SELECT id, user_id, lead_id, event_id, channel, address, subject, body, state, attempts, next_at,
        claimed_by, last_error, created_at, sent_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications (next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_user ON notifications (user_id, channel, id);
CREATE INDEX notifications_dead ON notifications (id) WHERE state = 'dead';

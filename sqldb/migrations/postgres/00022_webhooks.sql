-- +goose Up
-- Outgoing webhooks (docs/integrations.md): subscriptions to event types,
-- each with its own Standard Webhooks secret, and one delivery row per event
-- and subscription, written in the event's transaction and claimed like the
-- notifications (next_at moved past a lease, FOR UPDATE SKIP LOCKED). A
-- delivery keeps its last attempt's status, response code and latency: the
-- subscription's log.
-- Email that knows a final answer: a notification may now be dead (refused
-- for good, or out of attempts), and the installation has an id of its own
-- that Message-IDs carry. Migrations only move forward, so there is no Down.
CREATE TABLE installation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    installation_id TEXT NOT NULL
);
INSERT INTO installation (id, installation_id) VALUES (1, replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE webhook_subscriptions (
    id            BIGSERIAL PRIMARY KEY,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    owner_id      BIGINT REFERENCES users (id),
    state         TEXT NOT NULL CHECK (state IN ('active', 'paused')),
    failures      INTEGER NOT NULL DEFAULT 0,
    failing_since TIMESTAMPTZ,
    paused_reason TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        BIGINT REFERENCES outbox_events (id),
    type            TEXT NOT NULL,
    msg_id          TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         TIMESTAMPTZ NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    response_code   INTEGER NOT NULL DEFAULT 0,
    latency_ms      INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    attempted_at    TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

ALTER TABLE notifications DROP CONSTRAINT notifications_state_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_state_check CHECK (state IN ('pending', 'sent', 'dead'));
CREATE INDEX notifications_dead ON notifications (id) WHERE state = 'dead';

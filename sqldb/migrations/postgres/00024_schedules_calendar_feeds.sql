-- +goose Up
-- Scheduled reports (docs/integrations.md, "Scheduled scorecard"): a
-- schedule sends a report of its kind (the monthly scorecard, the weekly
-- pacing digest) to the users of its roles and to its addresses. Each send
-- is one row per schedule and occurrence (the period it reports), so that
-- replicas that find it due together send it once: the unique key decides
-- who writes it, and a lease who sends it. Roles and addresses are JSON
-- arrays of strings.
-- Calendar feeds (docs/integrations.md, "Calendar feeds"): a person's
-- secret webcal URL, stored as the SHA-256 of its token.
-- Migrations only move forward, so there is no Down.
CREATE TABLE schedules (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('scorecard', 'pacing')),
    roles      TEXT NOT NULL DEFAULT '[]',
    addresses  TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    removed_at TIMESTAMPTZ
);

CREATE TABLE schedule_sends (
    id          BIGSERIAL PRIMARY KEY,
    schedule_id BIGINT NOT NULL REFERENCES schedules (id),
    occurrence  TEXT NOT NULL,
    period      TEXT NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TIMESTAMPTZ NOT NULL,
    claimed_by  TEXT NOT NULL DEFAULT '',
    last_error  TEXT NOT NULL DEFAULT '',
    recipients  INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    UNIQUE (schedule_id, occurrence)
);
CREATE INDEX schedule_sends_pending ON schedule_sends (next_at, id) WHERE state = 'pending';

CREATE TABLE calendar_feeds (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    hash         TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id, id);

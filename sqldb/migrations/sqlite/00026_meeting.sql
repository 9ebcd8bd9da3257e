-- +goose Up
-- The monthly meeting (docs/meeting.md): the action items its people
-- record against a period's scorecard, each with an owner, a due date (the
-- date as written, and due_at, the first instant after that day in the
-- agreement's time zone) and the agenda line it answers; marketing's
-- response to each campaign's lead review of a period; and the heads'
-- comments on a proposed agreement version, clause by clause, with the
-- proposal a new version answers.
-- Migrations only move forward, so there is no Down.
CREATE TABLE action_items (
    id           INTEGER PRIMARY KEY,
    period       TEXT NOT NULL,
    what         TEXT NOT NULL,
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    due_on       TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    agenda_topic TEXT NOT NULL DEFAULT '',
    agenda_text  TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('open', 'done')),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    done_by      TEXT NOT NULL DEFAULT '',
    done_at      TEXT
);
CREATE INDEX action_items_period ON action_items (period, id);
CREATE INDEX action_items_owner ON action_items (owner_id, state, due_at);

CREATE TABLE campaign_responses (
    period       TEXT NOT NULL,
    campaign     TEXT NOT NULL,
    response     TEXT NOT NULL,
    responded_by TEXT NOT NULL,
    responded_at TEXT NOT NULL,
    PRIMARY KEY (period, campaign)
);

CREATE TABLE agreement_comments (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL REFERENCES agreement_versions (version),
    clause     TEXT NOT NULL,
    body       TEXT NOT NULL,
    author_id  INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX agreement_comments_version ON agreement_comments (version, clause, id);

CREATE TABLE agreement_answers (
    version INTEGER PRIMARY KEY REFERENCES agreement_versions (version),
    answers INTEGER NOT NULL REFERENCES agreement_versions (version)
);

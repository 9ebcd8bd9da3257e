-- +goose Up
-- Jeopardy alerts (docs/jeopardy.md): at most one per cause and period, so a
-- check run daily, on demand and on every replica raises each alert once.
-- Frozen scorecards (docs/scorecard.md): a closed period's scorecard as it
-- was first computed after the period ended, read back unchanged ever after.
-- Migrations only move forward, so there is no Down.
CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY,
    period    TEXT NOT NULL,
    cause     TEXT NOT NULL,
    summary   TEXT NOT NULL,
    figures   TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    UNIQUE (period, cause)
);
CREATE INDEX alerts_raised_at ON alerts (raised_at);

CREATE TABLE scorecards (
    period    TEXT PRIMARY KEY,
    frozen_at TEXT NOT NULL,
    body      TEXT NOT NULL
);

-- The latest scorecard of each running period, so that a page or a request
-- reads one recently computed instead of computing it again.
CREATE TABLE running_scorecards (
    period      TEXT PRIMARY KEY,
    computed_at TEXT NOT NULL,
    body        TEXT NOT NULL
);

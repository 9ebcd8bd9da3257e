-- +goose Up
-- Backtests seen (docs/agreement.md, "Backtest"): the last time each person
-- opened the backtest of a proposed version, and of which period; a head's
-- signature copies it, so that the history says whether the head signed
-- having seen what the version would have done to last quarter.
-- Migrations only move forward, so there is no Down.
CREATE TABLE backtest_views (
    version INTEGER NOT NULL REFERENCES agreement_versions (version),
    user_id INTEGER NOT NULL REFERENCES users (id),
    period  TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (version, user_id)
);
ALTER TABLE agreement_signatures ADD COLUMN backtest_period TEXT NOT NULL DEFAULT '';
ALTER TABLE agreement_signatures ADD COLUMN backtest_seen_at TEXT;

-- +goose Up
-- Reports kept for the pages (docs/operations.md): the latest computation of
-- a running period's scorecard, pace or SLA report, so that a page reads one
-- computed a few minutes ago instead of computing it on every request. The
-- worker recomputes them; lease_until lets one replica do it while the
-- others read. It takes over running_scorecards (kind 'scorecard').
-- Migrations only move forward, so there is no Down.
CREATE TABLE kept_reports (
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    body        TEXT NOT NULL,
    lease_until TIMESTAMPTZ,
    PRIMARY KEY (kind, period)
);
INSERT INTO kept_reports (kind, period, computed_at, body)
    SELECT 'scorecard', period, computed_at, body FROM running_scorecards;
DROP TABLE running_scorecards;

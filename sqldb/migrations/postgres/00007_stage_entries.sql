-- +goose Up
-- Stage entries (docs/plan.md): for each lead, the first time it entered each
-- stage, kept by the store as events are appended, so that the funnel's
-- history and pacing read an index range instead of every event's JSON.
-- A lead enters a stage when an event sets its stage to it, and also every
-- path stage that a stage change from an earlier path stage to a later one
-- skips. entered_at is the earliest such event's occurred_at.
-- Migrations only move forward, so there is no Down.
--
-- The (stage, entered_at) index includes lead_id, so that a window's
-- entries are read from the index alone.
CREATE TABLE stage_entries (
    lead_id    BIGINT NOT NULL REFERENCES leads (id),
    stage      TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (lead_id, stage)
);
CREATE INDEX stage_entries_stage_entered_at ON stage_entries (stage, entered_at) INCLUDE (lead_id);

-- Work a migration leaves to the program, which does it in Go at start-up
-- (sqldb.DB.backfill) and deletes the row: a row per backfill still due.
CREATE TABLE backfills (
    name TEXT PRIMARY KEY
);
-- Databases that have events need their stage entries written from them.
INSERT INTO backfills (name) VALUES ('stage_entries');
